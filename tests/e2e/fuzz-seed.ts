/**
 * The seed of a generated test run. Pinned by default, so that CI's verdict does not depend on
 * luck; `<VARIABLE>=<n>` replays a run and `<VARIABLE>=random` explores a new one. Either way the
 * seed in use is printed, so any failure can be replayed.
 */
export function fuzzSeed(variable: string, pinned: number): number {
  const value = process.env[variable];
  const seed = value === 'random' ? Math.floor(Math.random() * 2 ** 31) : value ? Number(value) : pinned;
  if (!Number.isSafeInteger(seed)) throw new Error(`${variable} must be an integer or "random", not ${value}`);
  console.info(`${variable}=${seed} replays this run (${value === 'random' ? 'random' : value ? 'given' : 'pinned'})`);
  return seed;
}
