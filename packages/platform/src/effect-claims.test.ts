import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaimBusyError, EffectClaims, effectClaimModel } from './effect-claims.js';
import { connectTestMongo } from './testing.js';

let db: { drop: () => Promise<void> };

beforeAll(async () => {
  db = await connectTestMongo('effect_claims');
  await effectClaimModel().init();
});
afterAll(async () => {
  await db.drop();
});

describe('EffectClaims.perform', () => {
  const claims = new EffectClaims(60_000);

  it('runs the effect once per key: after a settle, a later perform does not run it', async () => {
    const runs: string[] = [];
    const first = await claims.perform('perform-once', async () => {
      runs.push('first');
      return 'sent';
    });
    expect(first).toMatchObject({ state: 'done', value: 'sent' });
    if (first.state === 'done') await claims.settle(first.claim);

    const again = await claims.perform('perform-once', async () => {
      runs.push('again');
      return 'sent twice';
    });
    expect(again).toEqual({ state: 'settled' });
    expect(runs).toEqual(['first']);
  });

  it('refuses while another worker holds a live claim, without running the effect', async () => {
    const held = await claims.claim('perform-busy');
    expect(held.state).toBe('claimed');
    let ran = false;
    await expect(
      claims.perform('perform-busy', async () => {
        ran = true;
      }),
    ).rejects.toThrow(ClaimBusyError);
    expect(ran).toBe(false);
  });

  it('gives the claim up when the effect fails, so the next try runs it at once', async () => {
    await expect(
      claims.perform('perform-failed', async () => {
        throw new Error('provider refused');
      }),
    ).rejects.toThrow('provider refused');
    const retried = await claims.perform('perform-failed', async () => 'accepted');
    expect(retried).toMatchObject({ state: 'done', value: 'accepted' });
  });

  it("asks the effect's own record whether it is done when the key was claimed before", async () => {
    const held = await claims.claim('perform-own-record');
    expect(held.state).toBe('claimed');
    const outcome = await claims.perform(
      'perform-own-record',
      async () => 'not run',
      async () => true,
    );
    expect(outcome).toEqual({ state: 'settled' });
  });
});
