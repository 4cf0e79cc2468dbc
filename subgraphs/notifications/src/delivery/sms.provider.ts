import type { Logger } from '@shop/platform/core';

/** A text-message gateway (Twilio, Vonage, …) behind one call. */
export interface SmsProvider {
  /** Resolves once the provider accepted the message; returns its id there. */
  send(to: string, body: string, reference: string): Promise<string>;
}

/**
 * The provider until a real one plugs in behind the same interface: logs each message. In
 * production only its reference and the number's last two digits: a phone number and a text
 * about someone's order are personal data, which logs must not collect.
 */
export class LogSmsProvider implements SmsProvider {
  constructor(
    private readonly log: Logger,
    private readonly redact = false,
  ) {}

  async send(to: string, body: string, reference: string): Promise<string> {
    if (this.redact) this.log.info({ to: `…${to.slice(-2)}`, reference }, 'sms (log provider, text not kept)');
    else this.log.info({ to, body, reference }, 'sms (development provider)');
    return `log-${reference}`;
  }
}

/** The SMS provider: this repository has no real gateway, so the log provider, redacting in production. */
export function createSmsProvider(config: { NODE_ENV: string }, log: Logger): SmsProvider {
  const production = config.NODE_ENV === 'production';
  if (production) log.warn('no SMS gateway: texts are logged (reference and last two digits only), not sent');
  return new LogSmsProvider(log, production);
}
