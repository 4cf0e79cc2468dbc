// @shop/platform/ops: what each service's operator entry (src/ops.ts, `node dist/ops.js`) runs.
export * from '../operator-commands.js';
