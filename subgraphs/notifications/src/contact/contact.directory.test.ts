import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestTokens } from '@shop/platform/testing';
import { buildSchema, GraphQLError, graphql } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_DELETED, DELETED_MARK_TTL_MS, UsersContactDirectory } from './contact.directory.js';

const tokens = createTestTokens();

/**
 * A tiny users subgraph that executes the query it gets against the users' `User` fields, so a
 * field the directory does not ask for is not answered: two known users, NOT_FOUND or a crash for the others.
 */
const schema = buildSchema(
  'type Query { user(id: ID!): User } type User { email: String! phone: String deletedAt: String }',
);
const users: Record<string, { email: string; phone: string | null; deletedAt?: string }> = {
  'u-ada': { email: 'ada@example.com', phone: null },
  'u-grace': { email: 'grace@example.com', phone: '+14155550100' },
  'u-deleted': { email: 'deleted-u@deleted.invalid', phone: null, deletedAt: '2026-12-06T06:00:00.000Z' },
};
const rootValue = {
  user: ({ id }: { id: string }) => {
    if (id === 'u-crash') throw new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL' } });
    const user = users[id];
    if (!user) throw new GraphQLError('User not found', { extensions: { code: 'NOT_FOUND' } });
    return user;
  },
};
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
      const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, unknown> };
      const result = await graphql({ schema, source: query, variableValues: variables, rootValue });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(result));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('UsersContactDirectory', () => {
  it('asks the users subgraph as the notifications service for the email and the phone', async () => {
    const directory = new UsersContactDirectory(url, tokens);
    expect(await directory.contactOf('u-grace')).toEqual({ email: 'grace@example.com', phone: '+14155550100' });
    expect(callers.at(-1)).toEqual({ id: 'service:notifications', role: 'SERVICE' });
    const ada = await directory.contactOf('u-ada');
    expect(ada).toEqual({ email: 'ada@example.com' });
    expect(ada).not.toHaveProperty('phone');
  });

  it("reuses a user's addresses for a while: the notifications of one order cost one lookup", async () => {
    const directory = new UsersContactDirectory(url, tokens);
    const before = callers.length;
    await Promise.all([directory.contactOf('u-grace'), directory.contactOf('u-grace')]);
    await directory.contactOf('u-grace');
    expect(callers.length).toBe(before + 1);
    // Not found is not kept: a user created a moment later is found.
    await directory.contactOf('u-gone');
    await directory.contactOf('u-gone');
    expect(callers.length).toBe(before + 3);
  });

  it('answers null for an unknown user, ACCOUNT_DELETED for a deleted one, and fails (to be retried) on any other error', async () => {
    const directory = new UsersContactDirectory(url, tokens);
    expect(await directory.contactOf('u-gone')).toBeNull();
    const before = callers.length;
    expect(await directory.contactOf('u-deleted')).toBe(ACCOUNT_DELETED);
    // A deletion is for good: kept like an address.
    expect(await directory.contactOf('u-deleted')).toBe(ACCOUNT_DELETED);
    expect(callers.length).toBe(before + 1);
    await expect(directory.contactOf('u-crash')).rejects.toThrow('Internal server error');
  });

  it('stops using the addresses it kept of an account marked deleted, without asking again', async () => {
    const directory = new UsersContactDirectory(url, tokens);
    expect(await directory.contactOf('u-grace')).toEqual({ email: 'grace@example.com', phone: '+14155550100' });
    const before = callers.length;
    expect(directory.heardDeleted('u-grace')).toBe(false);
    directory.markDeleted('u-grace');
    expect(directory.heardDeleted('u-grace')).toBe(true);
    expect(await directory.contactOf('u-grace')).toBe(ACCOUNT_DELETED);
    expect(callers.length).toBe(before);
  });

  it('asks again for every address after forgetting what it kept (a gap in hearing of deletions), keeping what it heard deleted', async () => {
    const directory = new UsersContactDirectory(url, tokens);
    await directory.contactOf('u-ada');
    await directory.contactOf('u-grace');
    directory.markDeleted('u-grace');
    const before = callers.length;
    directory.forgetKept();
    expect(await directory.contactOf('u-ada')).toEqual({ email: 'ada@example.com' });
    expect(await directory.contactOf('u-grace')).toBe(ACCOUNT_DELETED);
    expect(directory.heardDeleted('u-grace')).toBe(true);
    expect(callers.length).toBe(before + 1);
  });

  it('keeps what it heard deleted however many addresses it looks up after', async () => {
    const directory = new UsersContactDirectory(url, tokens, { contacts: 1, deletionMarks: 10 });
    directory.markDeleted('u-grace');
    await directory.contactOf('u-ada');
    await directory.contactOf('u-deleted');
    expect(directory.heardDeleted('u-grace')).toBe(true);
    expect(await directory.contactOf('u-grace')).toBe(ACCOUNT_DELETED);
  });

  it('says it remembers every deletion only since its marks reach: not before one made room, nor past their 24 h', () => {
    const directory = new UsersContactDirectory(url, tokens, { contacts: 10, deletionMarks: 2 });
    expect(directory.hearingSince()).toBeUndefined();
    const now = Date.now();
    directory.hearing(now - 60_000);
    expect(directory.hearingSince(now)).toBe(now - 60_000);
    directory.hearing(0);
    expect(directory.hearingSince(now)).toBe(now - DELETED_MARK_TTL_MS);
    directory.markDeleted('u-1');
    directory.markDeleted('u-2');
    expect(directory.hearingSince(now)).toBe(now - DELETED_MARK_TTL_MS);
    const evicting = Date.now();
    directory.markDeleted('u-3');
    expect(directory.heardDeleted('u-1')).toBe(false);
    expect(directory.hearingSince()).toBeGreaterThanOrEqual(evicting);
  });

  it('loses nothing when an expired mark makes room, and keeps what a lookup found deleted as heard', async () => {
    let now = Date.parse('2031-01-01T00:00:00Z');
    const directory = new UsersContactDirectory(url, tokens, { contacts: 10, deletionMarks: 1, clock: () => now });
    directory.hearing(now);
    directory.markDeleted('u-1');
    now += DELETED_MARK_TTL_MS + 1;
    directory.markDeleted('u-2'); // u-1's mark, expired, makes room
    expect(directory.hearingSince()).toBe(now - DELETED_MARK_TTL_MS);
    expect(await directory.contactOf('u-deleted')).toBe(ACCOUNT_DELETED);
    expect(directory.heardDeleted('u-deleted')).toBe(true);
  });
});
