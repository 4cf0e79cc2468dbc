import { AsyncLocalStorage } from 'node:async_hooks';
import type { mongo } from 'mongoose';
import { Counter } from 'prom-client';
import { metricOnFirstUse } from './metric-on-first-use.js';

/**
 * Every command this process sends to the MongoDB-wire server, by command and collection, and by
 * origin: `periodic` for a scheduled pass (outbox sweep, expiry, reconciliation), whose cost is per
 * second and not per request; `scrape` for what a metrics scrape reads (the outbox backlog);
 * `request` for everything else (requests, event handlers, the publishes right after a write).
 * The write-path test reads it from every process.
 */
export function mongoCommandsMetric(): Counter<'command' | 'collection' | 'origin'> {
  return metricOnFirstUse(
    'mongodb_commands_total',
    (name) =>
      new Counter({
        name,
        help: 'Commands sent to the MongoDB-wire server, by command, collection and origin (request or periodic)',
        labelNames: ['command', 'collection', 'origin'] as const,
      }),
  );
}

export type CommandOrigin = 'periodic' | 'scrape';

const originScope = new AsyncLocalStorage<CommandOrigin>();

/** Runs a scheduled pass: the commands it sends are counted as `periodic`. */
export function runPeriodic<T>(pass: () => Promise<T>): Promise<T> {
  return originScope.run('periodic', pass);
}

/**
 * Runs what a metrics scrape reads: the commands it sends are counted as `scrape`. Awaited inside
 * the scope, so a mongoose query (which runs only once awaited) runs in it too.
 */
export function runForScrape<T>(read: () => PromiseLike<T>): Promise<T> {
  return originScope.run('scrape', async () => await read());
}

/** Counts the client's commands (it must have been created with `monitorCommands: true`). */
export function countMongoCommands(client: mongo.MongoClient): void {
  const mongoCommands = mongoCommandsMetric();
  client.on('commandStarted', (event) => {
    const target = (event.command as Record<string, unknown>)[event.commandName];
    mongoCommands.inc({
      command: event.commandName,
      collection: typeof target === 'string' ? target : '',
      origin: originScope.getStore() ?? 'request',
    });
  });
}
