export const HOUR_MS = 3_600_000;

/**
 * The hour an instant falls in, as whole hours since 1970-01-01 UTC. Records keep it beside a time
 * they are found by (an order's creation, a token's expiry), so FerretDB 1.x finds them by equality
 * rather than by a range, which it serves poorly (docs/ferretdb.md).
 */
export const hourOf = (at: Date): number => Math.floor(at.getTime() / HOUR_MS);

/** The first instant of an hour. */
export const hourStart = (hour: number): Date => new Date(hour * HOUR_MS);
