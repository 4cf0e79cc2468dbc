import { type EventEnvelope, notificationEmail } from '@shop/events';
import { hourOf } from '@shop/platform/core';
import { newSecretToken, secretTokenHash } from '../auth/secret-token.js';
import { emailWording } from '../user/email-wording.js';
import type { UserRecord } from '../user/user.model.js';

export interface EmailVerificationSettings {
  /** The page the emailed link opens; the token follows as `#token=…`. */
  EMAIL_VERIFICATION_URL: string;
  /** How long a link works, in milliseconds. */
  EMAIL_VERIFICATION_TTL: number;
}

export const CONFIRM_EMAIL_SUBJECT = 'Confirm your email address';

/** The account's fields of a new link, and the email carrying it, to be written in one update or insert. */
export interface EmailVerificationLink {
  fields: Required<
    Pick<UserRecord, 'emailVerificationHash' | 'emailVerificationExpiresAt' | 'emailVerificationExpiresHour'>
  >;
  email: EventEnvelope;
}

/** Whose address a link confirms: a new account's own, or the one an account asked to change to. */
export type AddressToConfirm = 'account' | 'change';

const CLOSING: Record<AddressToConfirm, (address: string) => string[]> = {
  account: (address) => [
    `Please confirm that ${address} is your email address, within`,
    'If you did not open a shop account with this address, ignore this email.',
  ],
  change: (address) => [
    `Please confirm that ${address} is the new email address of your shop account, within`,
    'Until then the account keeps its current address. If you did not ask for this, ignore this email.',
  ],
};

/**
 * A new confirmation link for `user.email`. Its token is in the email only, which is
 * `confidential` (the notification record keeps a placeholder): whoever holds it confirms the address.
 */
export function emailVerificationLink(
  user: { id: string; email: string; firstName: string },
  settings: EmailVerificationSettings,
  now = new Date(),
  purpose: AddressToConfirm = 'account',
): EmailVerificationLink {
  const token = newSecretToken();
  const [ask, closing] = CLOSING[purpose](user.email);
  const expiresAt = new Date(now.getTime() + settings.EMAIL_VERIFICATION_TTL);
  return {
    fields: {
      emailVerificationHash: secretTokenHash(token),
      emailVerificationExpiresAt: expiresAt,
      emailVerificationExpiresHour: hourOf(expiresAt),
    },
    email: notificationEmail.create({
      userId: user.id,
      to: user.email,
      subject: CONFIRM_EMAIL_SUBJECT,
      body: [
        `Hello ${user.firstName},`,
        '',
        `${ask} ${emailWording.lifetime(settings.EMAIL_VERIFICATION_TTL)}:`,
        `${settings.EMAIL_VERIFICATION_URL}#token=${token}`,
        '',
        closing,
      ].join('\n'),
      confidential: true,
      sendBy: expiresAt.toISOString(),
    }),
  };
}
