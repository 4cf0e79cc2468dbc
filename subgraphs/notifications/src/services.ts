import type { NotificationService } from './notification/notification.service.js';

export interface NotificationsServices {
  notifications: NotificationService;
}
