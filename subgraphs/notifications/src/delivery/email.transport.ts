import { ConfigError, type Logger } from '@shop/platform/core';
import nodemailer from 'nodemailer';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  /** Stable per notification, so a receiving system can drop the copy a crash may resend. */
  messageId: string;
}

export interface EmailTransport {
  /** Resolves once the server accepted the message; returns its Message-ID. */
  send(email: OutgoingEmail): Promise<string>;
  close(): void;
}

/** Email over SMTP (nodemailer); `url` is e.g. smtp://user:pass@mail.example.com:587. */
export class SmtpEmailTransport implements EmailTransport {
  private readonly transport;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url);
  }

  async send(email: OutgoingEmail): Promise<string> {
    const info = await this.transport.sendMail({ from: this.from, ...email });
    return info.messageId;
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
