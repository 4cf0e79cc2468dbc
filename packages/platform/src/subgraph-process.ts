import { type EventBus, eventBusFromConfig } from '@shop/events';
import type { z } from 'zod';
import { createTokenService, type TokenService } from './auth.js';
import { type Config, loadConfig } from './config.js';
import { dependencyOutage } from './errors.js';
import { type ReadinessCheck, reachedOnce } from './health.js';
import { createLogger, type Logger } from './logger.js';
import { type Closer, onShutdown, startOrExit } from './shutdown.js';
import { type SubgraphDefinition, startSubgraph } from './subgraph.js';
import { subgraphRevocation, type TokenVersionCheck } from './token-versions.js';

/** A connection the process opens before anything else and closes last (MongoDB, PostgreSQL). */
export interface DatabaseHandle {
  readiness: ReadinessCheck;
  /** Whether an error means the database did not answer: such a request is answered SERVICE_UNAVAILABLE. */
  unavailable: (error: unknown) => boolean;
  close: Closer;
}

/** Something with a schedule of its own that shutdown stops (a PeriodicJob, an outbox relay). */
export interface Background {
  start(): void;
  stop(): Promise<void> | void;
}

export interface ProcessContext<C, D, E extends true | undefined> {
  config: C;
  log: Logger;
  tokens: TokenService;
  database: D;
  bus: E extends true ? EventBus : undefined;
}

/** What the subgraph's own wiring returns: its services, and what runs beside the requests. */
export interface SubgraphParts<S> {
  services: S;
  /** The outbox relay: started before the port opens, stopped after the requests and consumers that feed it. */
  relay?: Background;
  /** Periodic jobs: started before the port opens, stopped together with the requests. */
  jobs?: Background[];
  /** Other resources, closed after the broker and before the database (e.g. the mail transport). */
  close?: Closer[];
}

export interface SubgraphProcess<Shape extends z.ZodRawShape, D extends DatabaseHandle, E extends true | undefined, S> {
  config: Shape;
  port: (config: Config<Shape>) => number;
  /** Its name also names the logger, the broker connection, tracing and metrics. */
  definition: SubgraphDefinition;
  database: (config: Config<Shape>, log: Logger) => Promise<D> | D;
  /**
   * Whether the process connects to the broker (to publish through its outbox, to consume, or
   * both); without it, it has no broker connection. Readiness needs the broker once, at start; after
   * that it is reported beside readiness: the API works without it, and the outbox keeps what is
   * written meanwhile.
   */
  events?: E;
  /** Builds the services from the connections and subscribes the consumers (src/events.ts). */
  wire: (context: ProcessContext<Config<Shape>, D, E>) => Promise<SubgraphParts<S>> | SubgraphParts<S>;
  /**
   * The check of unsigned requests' token versions (see startSubgraph). Default: the users
   * subgraph's answer (subgraphRevocation, from USERS_URL); users passes its own store.
   */
  revocation?: (context: ProcessContext<Config<Shape>, D, E>, services: S) => TokenVersionCheck;
}

/**
 * The one start-up of every subgraph, in explicit steps: configuration → logger → connections
 * (database, broker) → services and subscriptions → once-per-process start-up work (the v1 queue
 * move, relay and jobs) → schema and listen → shutdown hooks (requests, consumers and jobs drain
 * together; then the relay, the broker, other resources, the database).
 */
export async function runSubgraph<Shape extends z.ZodRawShape, D extends DatabaseHandle, E extends true | undefined, S>(
  spec: SubgraphProcess<Shape, D, E, S>,
): Promise<void> {
  const { name } = spec.definition;
  const config = loadConfig(spec.config);
  const log = createLogger(name, config);
  await startOrExit(log, () => start(spec, config, log));
}

async function start<Shape extends z.ZodRawShape, D extends DatabaseHandle, E extends true | undefined, S>(
  spec: SubgraphProcess<Shape, D, E, S>,
  config: Config<Shape>,
  log: Logger,
): Promise<void> {
  const { name } = spec.definition;
  const database = await spec.database(config, log);
  const bus = spec.events ? eventBusFromConfig(config, log, name, dependencyOutage(database.unavailable)) : undefined;
  const tokens = createTokenService(config);
  const context = { config, log, tokens, database, bus } as ProcessContext<Config<Shape>, D, E>;

  const parts = await spec.wire(context);
  await bus?.migrateLegacyQueues();
  parts.relay?.start();
  for (const job of parts.jobs ?? []) job.start();

  const server = await startSubgraph({
    definition: spec.definition,
    config,
    port: spec.port(config),
    services: parts.services,
    tokens,
    revocation: spec.revocation?.(context, parts.services) ?? defaultRevocation(config, tokens, name),
    log,
    databaseUnavailable: database.unavailable,
    // The broker once, at start: a pod that never reached it (bad credentials) is never ready.
    readiness: bus ? [database.readiness, reachedOnce(bus.readiness, 'rabbitmq-at-start')] : [database.readiness],
    reported: bus ? [bus.readiness] : [],
  });

  const relay = parts.relay;
  onShutdown(log, [
    [server.close, ...(bus ? [() => bus.stopConsuming()] : []), ...(parts.jobs ?? []).map((job) => () => job.stop())],
    ...(relay ? [() => relay.stop()] : []),
    ...(bus ? [() => bus.close()] : []),
    ...(parts.close ?? []),
    database.close,
    server.flushTraces,
  ]);
}

/** A subgraph other than users asks the users subgraph (USERS_URL in its config, subgraphRevocationShape). */
function defaultRevocation(config: object, tokens: TokenService, name: string): TokenVersionCheck {
  const settings = config as { USERS_URL?: string; TOKEN_VERSION_CACHE_MS?: number };
  if (settings.USERS_URL === undefined || settings.TOKEN_VERSION_CACHE_MS === undefined) {
    throw new Error(`${name}: no revocation check; add subgraphRevocationShape to its config or pass one`);
  }
  return subgraphRevocation(
    { USERS_URL: settings.USERS_URL, TOKEN_VERSION_CACHE_MS: settings.TOKEN_VERSION_CACHE_MS },
    tokens,
    name,
  );
}
