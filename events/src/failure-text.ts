/** How much of an error's message is kept with what failed: a parked message's header, a notification's `lastError`. */
const MAX_FAILURE_TEXT = 500;

/** An error's message (or the text given), cut to what is kept with what failed. */
export const failureText = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).slice(0, MAX_FAILURE_TEXT);
