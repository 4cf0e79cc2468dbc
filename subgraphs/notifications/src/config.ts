import { mongoShape, portVar } from '@shop/platform';

export const notificationsConfig = {
  ...mongoShape,
  NOTIFICATIONS_PORT: portVar(3005),
};
