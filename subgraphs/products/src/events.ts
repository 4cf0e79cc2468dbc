/**
 * The products subgraph consumes no events yet: stock moves synchronously through
 * reserveStock/releaseStock, called by the orders subgraph.
 */
export const consumedEvents = [] as const;
