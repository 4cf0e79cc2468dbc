import type { Logger } from '@shop/platform/core';

/**
 * What a send came to: taken by the provider (its message id there), or not sent, and why (the
 * notification is then recorded SKIPPED with that reason, never SENT).
 */
export type SendOutcome = { sentAs: string } | { notSent: string };

/** A text-message gateway (Twilio, Vonage, …) behind one call. */
export interface SmsProvider {
  /** Resolves once the provider accepted the message, or said it sends nothing; throws when it failed. */
  send(to: string, body: string, reference: string): Promise<SendOutcome>;
}

/** Why a text is recorded SKIPPED in production, where this repository wires no gateway. */
export const NO_SMS_GATEWAY = 'not sent: no SMS gateway is configured';

/**
 * Development's and the tests' stand-in for a gateway: logs each message whole and calls it
 * accepted, as the payment simulator takes charges.
 */
export class LogSmsProvider implements SmsProvider {
  constructor(private readonly log: Logger) {}

  async send(to: string, body: string, reference: string): Promise<SendOutcome> {
    this.log.info({ to, body, reference }, 'sms (development provider)');
    return { sentAs: `log-${reference}` };
  }
}

/**
 * Production until a real gateway plugs in behind the same interface: no text reaches a phone, so
 * none is recorded SENT (a customer's `notifications` would say otherwise). Nothing is logged per
 * message: a phone number and a text about someone's order are personal data.
 */
export class NoSmsGateway implements SmsProvider {
  async send(): Promise<SendOutcome> {
    return { notSent: NO_SMS_GATEWAY };
  }
}

/** The SMS provider: this repository has no real gateway, so none in production, the log provider elsewhere. */
export function createSmsProvider(config: { NODE_ENV: string }, log: Logger): SmsProvider {
  if (config.NODE_ENV !== 'production') return new LogSmsProvider(log);
  log.warn('no SMS gateway: texts are recorded SKIPPED, not sent');
  return new NoSmsGateway();
}
