import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenService } from '@shop/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersContactDirectory } from './contact.directory.js';

const tokens = createTokenService({
  JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256',
  JWT_ISSUER: 'shop',
  JWT_AUDIENCE: 'shop-api',
  JWT_TTL_SECONDS: 600,
});

/** A tiny users subgraph: answers `user(id)` for one user, NOT_FOUND or a crash for the others. */
let server: Server;
let url: string;
const callers: unknown[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', async () => {
      const principal = await tokens.fromHeader(req.headers.authorization);
      callers.push(principal);
      const { variables } = JSON.parse(body) as { variables: { id: string } };
      res.setHeader('content-type', 'application/json');
      if (variables.id === 'u-ada') {
        res.end(JSON.stringify({ data: { user: { email: 'ada@example.com' } } }));
      } else if (variables.id === 'u-crash') {
        res.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL' } }] }));
      } else {
        res.end(JSON.stringify({ errors: [{ message: 'User not found', extensions: { code: 'NOT_FOUND' } }] }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('UsersContactDirectory', () => {
  it('asks the users subgraph as the notifications service', async () => {
    const directory = new UsersContactDirectory(url, tokens);
    expect(await directory.contactOf('u-ada')).toEqual({ email: 'ada@example.com' });
    expect(callers.at(-1)).toEqual({ id: 'service:notifications', role: 'SERVICE' });
  });

  it('answers null for an unknown user and fails (to be retried) on any other error', async () => {
    const directory = new UsersContactDirectory(url, tokens);
    expect(await directory.contactOf('u-gone')).toBeNull();
    await expect(directory.contactOf('u-crash')).rejects.toThrow('Internal server error');
  });
});
