import { mongoShape, portVar } from '@shop/platform';
import { z } from 'zod';

export const usersConfig = {
  ...mongoShape,
  USERS_PORT: portVar(3001),
  ADMIN_EMAIL: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
};
