import { portVar } from '@shop/platform';
import { z } from 'zod';

export const productsConfig = {
  PRODUCTS_PORT: portVar(3002),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .default('postgresql://shop:shop@127.0.0.1:5432/shop'),
};
