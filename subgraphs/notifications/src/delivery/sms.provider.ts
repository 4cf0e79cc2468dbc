import type { Logger } from '@shop/platform/core';

/** A text-message gateway (Twilio, Vonage, …) behind one call. */
export interface SmsProvider {
  /** Resolves once the provider accepted the message; returns its id there. */
  send(to: string, body: string, reference: string): Promise<string>;
}

/** The development provider: logs the message. A real one plugs in behind the same interface. */
export class LogSmsProvider implements SmsProvider {
  constructor(private readonly log: Logger) {}

  async send(to: string, body: string, reference: string): Promise<string> {
    this.log.info({ to, body, reference }, 'sms (development provider)');
    return `log-${reference}`;
  }
}
