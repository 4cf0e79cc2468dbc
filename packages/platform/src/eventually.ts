/** What a probe returns while the awaited state has not come yet. */
type NotYet = undefined | null | false | 0 | '';

/**
 * The one way tests wait for something asynchronous (vi.waitFor): polls `probe` every 100 ms until
 * it returns a truthy value, and returns that value. A probe that throws counts as not yet; at
 * `timeout` the test fails with its last error, or with "<what>: not yet".
 */
export async function eventually<T>(
  probe: () => Promise<T | NotYet> | T | NotYet,
  timeout = 20_000,
  what = 'condition',
): Promise<T> {
  // Imported when called: a vitest global setup imports modules that use this, outside any test.
  const { vi } = await import('vitest');
  return vi.waitFor(
    async () => {
      const value = await probe();
      if (!value) throw new Error(`${what}: not yet`);
      return value as T;
    },
    { timeout, interval: 100 },
  );
}
