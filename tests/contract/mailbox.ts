// The email the stack under test sends, read as the customer's inbox shows it (contractStack().mailbox).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { eventually, parseRawEmail, type ReceivedEmail } from '@shop/platform/testing';
import { contractStack } from './contract-stack.js';

/** How Python's smtpd DebuggingServer (the smoke's mail sink) prints each message, one `b'…'` per line. */
const PRINTED = /-{10} MESSAGE FOLLOWS -{10}\n([\s\S]*?)\n-{12} END MESSAGE -{12}/g;
const PRINTED_LINE = /^b(['"])(.*)\1$/;

async function received(): Promise<ReceivedEmail[]> {
  const { mailbox } = contractStack();
  if ('file' in mailbox) {
    const lines = (await readFile(mailbox.file, 'utf8')).split('\n').filter(Boolean);
    return lines.map((line) => parseRawEmail(JSON.parse(line) as string));
  }
  const logs = await promisify(execFile)('podman', ['logs', mailbox.podmanContainer], { maxBuffer: 64 * 1024 * 1024 });
  return printedEmails(logs.stdout + logs.stderr);
}

/** The messages a DebuggingServer printed, in order. */
export function printedEmails(log: string): ReceivedEmail[] {
  return [...log.matchAll(PRINTED)].map((message) =>
    parseRawEmail(
      (message[1] ?? '')
        .split('\n')
        .map((line) => line.replace(PRINTED_LINE, '$2'))
        .join('\n'),
    ),
  );
}

/** The latest email to `to` whose subject is `subject`, once it has arrived (undefined before). */
export async function latestEmail(to: string, subject: string): Promise<ReceivedEmail | undefined> {
  return (await received()).filter((email) => email.to === to && email.subject === subject).at(-1);
}

/** The subject of the password reset email. */
export const RESET_SUBJECT = 'Reset your password';

/** The subject of the email that tells an account its password changed. */
export const PASSWORD_CHANGED_SUBJECT = 'Your password was changed';

/** The newest email to `to` with this subject, waited for. */
export function arrivedEmail(to: string, subject: string): Promise<ReceivedEmail> {
  return eventually(() => latestEmail(to, subject), 30_000, `an email "${subject}" to ${to}`);
}

/** The subject of the email that asks a new account (or a new address) to confirm its address. */
export const CONFIRM_SUBJECT = 'Confirm your email address';

/** The subjects of the emails that tell an account's address of a change to another one. */
export const EMAIL_CHANGE_SUBJECT = {
  requested: 'A change of your email address was asked for',
  changed: 'Your email address was changed',
};

/** The newest link to `path` (with its `#token=`) in an email to `email` with this subject, once it has arrived. */
function emailedLink(email: string, subject: string, path: string): Promise<string> {
  const link = new RegExp(`\\S+${path}#token=[A-Za-z0-9_-]{43}(?=\\s)`);
  return eventually(
    async () => link.exec(`${(await latestEmail(email, subject))?.text}\n`)?.[0],
    30_000,
    `a ${path} link emailed to ${email}`,
  );
}

/** The token of an emailed link. */
export const tokenOfLink = (link: string): string =>
  new URLSearchParams(new URL(link).hash.slice(1)).get('token') ?? '';

/** The newest password reset link emailed to `email`, once it has arrived. */
export const resetLink = (email: string): Promise<string> => emailedLink(email, RESET_SUBJECT, '/reset-password');

/** The token of the newest password reset link emailed to `email`. */
export const resetLinkToken = async (email: string): Promise<string> => tokenOfLink(await resetLink(email));

/** The newest address confirmation link emailed to `email`, once it has arrived. */
export const confirmationLink = (email: string): Promise<string> =>
  emailedLink(email, CONFIRM_SUBJECT, '/verify-email');
