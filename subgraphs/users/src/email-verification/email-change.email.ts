import { type EventEnvelope, notificationEmail } from '@shop/events';
import { emailWording } from '../user/email-wording.js';
import type { User } from '../user/user.type.js';

/** Where a change of address stands when the account's current address is told. */
export type EmailChangeStage = 'requested' | 'changed';

export const EMAIL_CHANGE_SUBJECT: Record<EmailChangeStage, string> = {
  requested: 'A change of your email address was asked for',
  changed: 'Your email address was changed',
};

/**
 * The email that tells an account's address (the one being left) of a change to `newEmail`: when it
 * is asked for, so that an owner who did not ask stops it (a new password voids the pending link),
 * and when it is done. It carries no secret: the notification record keeps it as sent.
 */
export function emailChangeNotice(
  user: User,
  newEmail: string,
  stage: EmailChangeStage,
  at: Date,
  resetUrl: string,
): EventEnvelope {
  const body =
    stage === 'requested'
      ? [
          `On ${emailWording.moment(at)}, someone who knew the password of your shop account ${user.email} asked to change`,
          `its email address to ${newEmail}. The change is made only when the link sent to that address is opened.`,
          '',
          'If this was you, there is nothing to do.',
          'If it was not, choose a new password now with "Forgot your password?": that stops the change and',
          'signs out every device:',
          resetUrl,
        ]
      : [
          `The email address of your shop account was changed from ${user.email} to ${newEmail} on ${emailWording.moment(at)}.`,
          'Emails about your account and your orders go to the new address from now on.',
          '',
          'If this was not you, contact the shop at once.',
        ];
  return notificationEmail.create({
    userId: user.id,
    to: user.email,
    subject: EMAIL_CHANGE_SUBJECT[stage],
    body: [`Hello ${user.firstName},`, '', ...body].join('\n'),
  });
}
