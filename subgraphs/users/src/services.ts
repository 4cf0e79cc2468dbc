import type { UserService } from './user/user.service.js';

export interface UsersServices {
  users: UserService;
}
