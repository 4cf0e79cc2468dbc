/** The payments subgraph consumes no events yet; it only produces payment.succeeded/failed. */
export const consumedEvents = [] as const;
