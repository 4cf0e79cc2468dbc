/** The users subgraph consumes no events; it is the source of identities, not a listener. */
export const consumedEvents = [] as const;
