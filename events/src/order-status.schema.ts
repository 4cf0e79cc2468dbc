import { z } from 'zod';

/** The contract's status values, defined once: events carry them, and platform's GraphQL enums are built from them. */
export const orderStatusSchema = z.enum(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED']);
export const paymentStatusSchema = z.enum(['PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED']);
