import argon2 from 'argon2';

/**
 * argon2id with OWASP's first recommended profile (m = 19 MiB, t = 2, p = 1): about
 * 20–40 ms per hash on these machines, expensive for an attacker, cheap enough per login.
 */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A hash of a random secret, verified when the email is unknown so both paths take as long. */
let dummyHash: Promise<string> | undefined;

export const passwordHasher = {
  hash: (password: string) => argon2.hash(password, OPTIONS),
  verify: (hash: string, password: string) => argon2.verify(hash, password),
  async burnTime(password: string): Promise<false> {
    dummyHash ??= argon2.hash(crypto.randomUUID(), OPTIONS);
    await argon2.verify(await dummyHash, password);
    return false;
  },
};
