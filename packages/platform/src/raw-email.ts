/** An email as its recipient reads it. */
export interface ReceivedEmail {
  messageId: string;
  to: string;
  subject: string;
  text: string;
}

function header(head: string, name: string): string {
  const match = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head);
  return match?.[1]?.trim() ?? '';
}

/** Undoes quoted-printable, the transfer encoding nodemailer picks for long or non-ASCII text. */
const decodeQuotedPrintable = (text: string) =>
  text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

/** A message as sent over SMTP (headers, a blank line, the body), read as a mail client shows it. */
export function parseRawEmail(raw: string): ReceivedEmail {
  const lines = raw.replace(/\r?\n/g, '\r\n');
  const split = lines.indexOf('\r\n\r\n');
  const head = lines.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = lines.slice(split + 4);
  const quoted = /quoted-printable/i.test(header(head, 'Content-Transfer-Encoding'));
  return {
    messageId: header(head, 'Message-ID'),
    to: header(head, 'To'),
    subject: header(head, 'Subject'),
    text: (quoted ? decodeQuotedPrintable(body) : body).trim(),
  };
}
