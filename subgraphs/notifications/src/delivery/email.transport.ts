import { ConfigError, type Logger, ServiceUnavailableError } from '@shop/platform/core';
import nodemailer from 'nodemailer';
import { EDNS, isTransientError } from 'nodemailer/lib/errors';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  /** Stable per notification, so a receiving system can drop the copy a crash may resend. */
  messageId: string;
}

export interface EmailTransport {
  /** Resolves once the server accepted the message; returns its Message-ID. PermanentSendError when no retry can help. */
  send(email: OutgoingEmail): Promise<string>;
  close(): void;
}

/** The provider refused the message for good (an SMTP 5xx to its recipient or its content: unknown mailbox, policy…): retrying sends it nowhere. */
export class PermanentSendError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentSendError';
  }
}

/**
 * The mail server did not answer: it refused or dropped the connection, stayed silent, could not be
 * found, or said it was closing (421). An outage of a dependency, as a database's is: the event bus
 * waits it out (EVENTS_OUTAGE_PATIENCE) instead of spending the send's attempts, and the emails go
 * out once it answers again.
 */
export class MailServerUnavailableError extends ServiceUnavailableError {
  /** Only event handlers send mail, so its message (the server's words) never reaches a client. */
  constructor(message: string) {
    // No cause: nodemailer's own error quotes the addresses that the message leaves out.
    super(undefined);
    this.name = 'MailServerUnavailableError';
    this.message = message;
  }
}

/**
 * How long nodemailer waits to connect, for the server's greeting, and in silence on an open
 * connection (ms). They keep a send well under the send claim's timeout (SEND_CLAIM_TIMEOUT_MS),
 * so a slow server is given up on before another sender may take the send over.
 */
export const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

/** Where an SMTP server's 5xx refuses this message or its recipient, rather than the sender or the session. */
const MESSAGE_COMMANDS = new Set(['RCPT TO', 'DATA']);

/**
 * What a failed send throws, without the addresses a server quotes in its reply (nodemailer appends
 * the reply, and its error lists the rejected recipients: logs must not collect them). Final
 * (PermanentSendError) only when a 5xx refused this message or its recipient; the server not
 * answering (nodemailer's `isTransientError`, or its name not resolving) is an outage
 * (MailServerUnavailableError); a 5xx to the login, the greeting or the sender (a rotated
 * password, a blocklisted address, a quota) is the server's state, and the send is retried.
 */
function smtpFailure(error: unknown): Error {
  const { code, responseCode, command } = error as { code?: string; responseCode?: number; command?: string };
  const message = (error instanceof Error ? error.message : String(error)).replace(
    /[^\s<>"'():;,]+@[^\s<>"'():;,]+/g,
    '<address>',
  );
  const final = typeof responseCode === 'number' && responseCode >= 500 && MESSAGE_COMMANDS.has(command ?? '');
  const failure = final
    ? new PermanentSendError(`SMTP ${responseCode}: ${message}`)
    : isTransientError({ code, responseCode }) || code === EDNS
      ? new MailServerUnavailableError(message)
      : new Error(message);
  return Object.assign(failure, { code, responseCode, command });
}

/** Email over SMTP (nodemailer); `url` is e.g. smtp://user:pass@mail.example.com:587. */
export class SmtpEmailTransport implements EmailTransport {
  private readonly transport;

  constructor(
    url: string,
    private readonly from: string,
    timeouts = SMTP_TIMEOUTS,
  ) {
    this.transport = nodemailer.createTransport({ url, ...timeouts });
  }

  async send(email: OutgoingEmail): Promise<string> {
    try {
      const info = await this.transport.sendMail({ from: this.from, ...email });
      return info.messageId;
    } catch (error) {
      throw smtpFailure(error);
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** Development without SMTP_URL: the email is logged instead of sent (never in production, see config). */
export class LogEmailTransport implements EmailTransport {
  constructor(private readonly log: Logger) {}

  async send(email: OutgoingEmail): Promise<string> {
    this.log.info(
      { to: email.to, subject: email.subject, messageId: email.messageId },
      'email (development transport)',
    );
    return email.messageId;
  }

  close(): void {}
}

/** SMTP when SMTP_URL is set; the logging transport only outside production. */
export function createEmailTransport(
  config: { SMTP_URL?: string; MAIL_FROM: string; NODE_ENV: string },
  log: Logger,
): EmailTransport {
  if (config.SMTP_URL) return new SmtpEmailTransport(config.SMTP_URL, config.MAIL_FROM);
  if (config.NODE_ENV === 'production') throw new ConfigError(['SMTP_URL: required in production']);
  log.warn('SMTP_URL not set: emails are logged, not sent');
  return new LogEmailTransport(log);
}
