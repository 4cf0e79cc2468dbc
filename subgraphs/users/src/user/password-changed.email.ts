import { type EventEnvelope, notificationEmail } from '@shop/events';
import { emailWording } from './email-wording.js';
import type { User } from './user.type.js';

/** How a password came to change: with the current one, or with an emailed reset link. */
export type PasswordChange = 'changed' | 'reset';

export const PASSWORD_CHANGED_SUBJECT = 'Your password was changed';

const HOW: Record<PasswordChange, string> = {
  changed: 'by someone who knew the current password',
  reset: 'with a password reset link emailed to this address',
};

/**
 * The email that tells an account its password changed, so that an owner who did not change it
 * learns at once and takes the account back (`resetUrl`: the page where one asks for a link). It
 * carries no secret: the notification record keeps it as sent.
 */
export function passwordChangedEmail(user: User, how: PasswordChange, at: Date, resetUrl: string): EventEnvelope {
  return notificationEmail.create({
    userId: user.id,
    to: user.email,
    subject: PASSWORD_CHANGED_SUBJECT,
    body: [
      `Hello ${user.firstName},`,
      '',
      `The password of your shop account ${user.email} was changed on ${emailWording.moment(at)}, ${HOW[how]}.`,
      'Every other device that was signed in has been signed out.',
      '',
      'If this was you, there is nothing to do.',
      'If it was not, choose a new password now with "Forgot your password?" (that signs out every',
      'device, theirs too), and make sure nobody else can read this mailbox:',
      resetUrl,
    ].join('\n'),
  });
}
