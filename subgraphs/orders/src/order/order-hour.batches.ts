/** Hours counted at once when many are counted (after a backfill, a bulk load, a first run). */
const COUNT_CONCURRENCY = 10;

/** `count` for each hour, COUNT_CONCURRENCY at a time; their results in the hours' order. */
export async function inBatches<T>(hours: number[], count: (hour: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < hours.length; start += COUNT_CONCURRENCY) {
    results.push(...(await Promise.all(hours.slice(start, start + COUNT_CONCURRENCY).map(count))));
  }
  return results;
}
