/**
 * `work`'s outcome, or a rejection ('timed out') once `ms` have passed, whichever comes first; the
 * timer is cleared either way. The work itself goes on: this bounds the wait, not the work.
 */
export async function withinLimit<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
