import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from './auth.js';
import { createTokenVersionCheck, type TokenVersionLoader } from './token-versions.js';

/** A loader over a fixed table of accounts, recording each batch it was asked for. */
function accounts(table: Record<string, number>) {
  const batches: string[][] = [];
  const load: TokenVersionLoader = async (ids) => {
    batches.push([...ids]);
    return new Map(ids.filter((id) => id in table).map((id) => [id, table[id] as number]));
  };
  return { table, batches, load };
}
const customer = (id: string, tokenVersion?: number): Principal => ({ id, role: 'CUSTOMER', tokenVersion });
const outcome = (promise: Promise<void>) =>
  promise.then(
    () => 'accepted',
    (error: Error) => error.message,
  );

afterEach(() => {
  vi.useRealTimers();
});

describe('createTokenVersionCheck', () => {
  it('accepts the current version only; an older one, a token without ver after a bump, or no account is revoked', async () => {
    const { load } = accounts({ ada: 2, bob: 0 });
    const check = createTokenVersionCheck({ load, cacheMs: 0 });
    expect(await outcome(check.assertCurrent(customer('ada', 2)))).toBe('accepted');
    expect(await outcome(check.assertCurrent(customer('ada', 1)))).toBe('Token revoked');
    expect(await outcome(check.assertCurrent(customer('ada')))).toBe('Token revoked');
    expect(await outcome(check.assertCurrent(customer('bob')))).toBe('accepted');
    expect(await outcome(check.assertCurrent(customer('ghost', 0)))).toBe('Token revoked');
  });

  it('never looks up a service, which holds no account', async () => {
    const { load, batches } = accounts({});
    const check = createTokenVersionCheck({ load, cacheMs: 0 });
    await check.assertCurrent({ id: 'service:orders', role: 'SERVICE' });
    expect(batches).toEqual([]);
  });

  it('with a 0 bound asks every time, batching the lookups of one tick into one call without duplicates', async () => {
    const { load, batches, table } = accounts({ ada: 0, bob: 0 });
    const check = createTokenVersionCheck({ load, cacheMs: 0 });
    await Promise.all([
      check.assertCurrent(customer('ada', 0)),
      check.assertCurrent(customer('bob', 0)),
      check.assertCurrent(customer('ada', 0)),
    ]);
    expect(batches).toEqual([['ada', 'bob']]);
    table.ada = 1;
    expect(await outcome(check.assertCurrent(customer('ada', 0)))).toBe('Token revoked');
    expect(batches).toHaveLength(2);
  });

  it('splits a burst of accounts into batches the users subgraph accepts (at most 500 ids)', async () => {
    const ids = Array.from({ length: 1_200 }, (_, i) => `user-${i}`);
    const { load, batches } = accounts(Object.fromEntries(ids.map((id) => [id, 0])));
    const check = createTokenVersionCheck({ load, cacheMs: 0 });
    await Promise.all(ids.map((id) => check.assertCurrent(customer(id, 0))));
    expect(batches.map((batch) => batch.length)).toEqual([500, 500, 200]);
  });

  it('believes a version for the configured bound, then asks again (the revocation delay)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { load, batches, table } = accounts({ ada: 0 });
    const check = createTokenVersionCheck({ load, cacheMs: 5_000 });
    await check.assertCurrent(customer('ada', 0));
    table.ada = 1;
    vi.advanceTimersByTime(4_999);
    expect(await outcome(check.assertCurrent(customer('ada', 0)))).toBe('accepted');
    expect(batches).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(await outcome(check.assertCurrent(customer('ada', 0)))).toBe('Token revoked');
    expect(batches).toHaveLength(2);
  });

  it('asks again for a token newer than the remembered version (a login right after a bump), and remembers the answer', async () => {
    const { load, batches, table } = accounts({ ada: 0 });
    const check = createTokenVersionCheck({ load, cacheMs: 5_000 });
    await check.assertCurrent(customer('ada', 0));
    table.ada = 1; // a password change; the new session's token carries version 1
    expect(await outcome(check.assertCurrent(customer('ada', 1)))).toBe('accepted');
    expect(batches).toHaveLength(2);
    // The answer is remembered: the old token is now refused without another lookup.
    expect(await outcome(check.assertCurrent(customer('ada', 0)))).toBe('Token revoked');
    expect(await outcome(check.assertCurrent(customer('ada', 1)))).toBe('accepted');
    expect(batches).toHaveLength(2);
    // A version from the future that the account does not have is still refused.
    expect(await outcome(check.assertCurrent(customer('ada', 7)))).toBe('Token revoked');
  });

  it('fails closed when the lookup fails, and does not remember the failure', async () => {
    let down = true;
    const check = createTokenVersionCheck({
      load: async (ids) => {
        if (down) throw new Error('users subgraph unreachable');
        return new Map(ids.map((id) => [id, 0]));
      },
      cacheMs: 60_000,
    });
    expect(await outcome(check.assertCurrent(customer('ada', 0)))).toBe('users subgraph unreachable');
    down = false;
    expect(await outcome(check.assertCurrent(customer('ada', 0)))).toBe('accepted');
  });

  it('keeps at most maxEntries accounts, dropping the oldest', async () => {
    const { load, batches } = accounts({ a: 0, b: 0, c: 0 });
    const check = createTokenVersionCheck({ load, cacheMs: 60_000, maxEntries: 2 });
    for (const id of ['a', 'b', 'c', 'b', 'c']) await check.assertCurrent(customer(id, 0));
    expect(batches.flat()).toEqual(['a', 'b', 'c']);
    await check.assertCurrent(customer('a', 0));
    expect(batches.flat()).toEqual(['a', 'b', 'c', 'a']);
  });
});
