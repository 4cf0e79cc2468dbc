import type { AccountDeletionService } from './account-deletion/account-deletion.service.js';
import type { AuthService } from './auth/auth.service.js';
import type { EmailVerificationService } from './email-verification/email-verification.service.js';
import type { PasswordResetService } from './password-reset/password-reset.service.js';
import type { UserService } from './user/user.service.js';

export interface UsersServices {
  users: UserService;
  auth: AuthService;
  passwordResets: PasswordResetService;
  emailVerifications: EmailVerificationService;
  accountDeletions: AccountDeletionService;
}
