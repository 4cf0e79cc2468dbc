/** How the account's emails say when something happened and how long a link works. */
export const emailWording = {
  /** `2026-12-06 at 05:41 UTC`. */
  moment: (at: Date): string => `${at.toISOString().slice(0, 16).replace('T', ' at ')} UTC`,

  /** `3 days`, `1 hour`, `90 minutes`: exact, in the largest unit that divides it (whole minutes). */
  lifetime(ms: number): string {
    const minutes = Math.round(ms / 60_000);
    const [count, unit] =
      minutes % 1_440 === 0
        ? [minutes / 1_440, 'day']
        : minutes % 60 === 0
          ? [minutes / 60, 'hour']
          : [minutes, 'minute'];
    return `${count} ${unit}${count === 1 ? '' : 's'}`;
  },
};
