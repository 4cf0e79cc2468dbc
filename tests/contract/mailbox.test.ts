// The smoke's mail sink prints each message as Python's smtpd DebuggingServer does: this is one it
// printed (the reset email, quoted-printable, its link cut by a soft line break).
import { expect, it } from 'vitest';
import { printedEmails } from './mailbox.js';

const PRINTED = `---------- MESSAGE FOLLOWS ----------
b'From: Shop <no-reply@shop.local>'
b'To: ada@example.com'
b'Subject: Reset your password'
b'Message-ID: <x@shop.notifications>'
b'Content-Transfer-Encoding: quoted-printable'
b'MIME-Version: 1.0'
b'Content-Type: text/plain; charset=utf-8'
b'X-Peer: 10.89.0.7'
b''
b'Choose a new password within 30 minutes here:'
b'http://localhost:3000/reset-p='
b'assword#token=3DAbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde'
b''
b"The link works once. If you didn't ask, ignore it."
------------ END MESSAGE ------------
`;

it("reads the mail sink's printed messages as a mail client shows them", () => {
  expect(printedEmails(`noise\n${PRINTED}${PRINTED.replace('ada@', 'bea@')}`)).toEqual([
    {
      messageId: '<x@shop.notifications>',
      to: 'ada@example.com',
      subject: 'Reset your password',
      text: [
        'Choose a new password within 30 minutes here:',
        'http://localhost:3000/reset-password#token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde',
        '',
        "The link works once. If you didn't ask, ignore it.",
      ].join('\r\n'),
    },
    expect.objectContaining({ to: 'bea@example.com' }),
  ]);
});
