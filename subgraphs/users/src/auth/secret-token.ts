import { createHash, randomBytes } from 'node:crypto';

/** A new secret for a session or an emailed link: 256 random bits, base64url (43 characters). */
export const newSecretToken = (): string => randomBytes(32).toString('base64url');

/** What is stored of a secret token: its SHA-256 in hex (256 random bits need no slow hash). */
export const secretTokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');
