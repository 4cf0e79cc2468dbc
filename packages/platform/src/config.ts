import { durationVar, LONGEST_DURATION_MS, secondsVar, wholeNumber } from '@shop/events';
import { z } from 'zod';
import { graphqlLimitsShape } from './graphql-limits.js';
import { MONGO_POOL_SIZE } from './mongo-pool.js';
import { tracingConfigShape } from './tracing-config.js';

/** `a, b,,c` → `['a', 'b', 'c']`: the one way a comma-separated setting is read. */
export const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** A comma-separated list setting (unset: `fallback`). */
export const listVar = (fallback = '') => z.string().default(fallback).transform(commaList);

/**
 * How long an idle keep-alive connection stays open on a process's HTTP port. Longer than the idle
 * timeout of the proxy in front (nginx's upstream keepalive, ingress-nginx and AWS's ALB: 60 s), so
 * the proxy always closes first: otherwise it may send a request on a connection Node is closing
 * and answer 502, which it does not retry for a POST. Node's own 5 s is shorter than all of them.
 * Behind a proxy that keeps connections longer (Google Cloud's load balancer: 600 s), raise it past that.
 */
export const keepAliveShape = {
  HTTP_KEEP_ALIVE_TIMEOUT: durationVar('65s'),
};

/** The address a process's HTTP port listens on (see listenHost). */
export const listenShape = {
  LISTEN_HOST: z.string().min(1).optional(),
};

/**
 * LISTEN_HOST, else every address, but only the loopback one in development: its JWT secret is the
 * repository's, so anyone who reached the ports could sign themselves an ADMIN or SERVICE token.
 */
export function listenHost(config: { NODE_ENV: string; LISTEN_HOST?: string | undefined }): string | undefined {
  return config.LISTEN_HOST ?? (config.NODE_ENV === 'development' ? '127.0.0.1' : undefined);
}

/** Settings every process reads; each process extends this with its own. */
export const baseConfigShape = {
  /** Production unless said otherwise: development's conveniences (fixed secrets, GraphiQL) need it set explicitly. */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Human-readable logs (needs the dev dependency pino-pretty); default: only when stdout is a terminal. */
  LOG_PRETTY: z.stringbool().optional(),
  /**
   * Secrets of the access tokens' HMAC (HS256). Comma-separated, as GATEWAY_SIGNING_SECRETS: the
   * first signs, every one verifies, so a new secret is rolled in without refusing the tokens of
   * replicas that still sign with the old one (docs/security.md, Secrets).
   */
  JWT_SECRET: listVar(),
  /**
   * Secrets of the HMAC with which the gateway signs what it tells subgraphs about a request (the
   * client's address). Comma-separated: the first signs, every one is accepted (rotation: add the
   * new one second, roll out, move it first, roll out, drop the old one).
   */
  GATEWAY_SIGNING_SECRETS: listVar(),
  JWT_ISSUER: z.string().min(1).default('shop'),
  JWT_AUDIENCE: z.string().min(1).default('shop-api'),
  JWT_TTL_SECONDS: secondsVar(3600, 60, 86_400),
  CORS_ORIGINS: listVar('http://localhost:3000,http://localhost:5173'),
  AMQP_URL: z.string().url().default('amqp://guest:guest@127.0.0.1:5672'),
  AMQP_EXCHANGE: z.string().min(1).default('shop.events'),
  /** Declared by provisioning (docker compose: deploy/rabbitmq/service-users.sh): only checked, never declared. */
  AMQP_EXCHANGE_PROVISIONED: z.stringbool().default(false),
  ...tracingConfigShape,
  ...graphqlLimitsShape,
  ...keepAliveShape,
  ...listenShape,
};

/** Only development may run without configured secrets; a short one is never accepted. */
const DEV_JWT_SECRET = 'development-only-secret-not-for-production-use';
const DEV_SIGNING_SECRET = 'development-only-gateway-signing-secret-not-for-production';
const MIN_SECRET_LENGTH = 32;
/** The development values written in this repository (here and scripts/infra/compose-dev-env.sh): public. */
const PUBLISHED_SECRET = /^development-only-/;

/** A bad configuration: one line naming each bad variable, as a container's only log line. */
export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

export const portVar = (defaultPort: number) => wholeNumber(defaultPort, { max: 65_535 });
export const urlVar = (defaultUrl: string) => z.string().url().default(defaultUrl);

/** Durations have one notation (duration-var.ts in @shop/events): `30m`, `45s`, `500ms`. */
export { durationVar, LONGEST_DURATION_MS, millisecondsVar, secondsVar, wholeNumber } from '@shop/events';

/**
 * How long a request waits for a database connection, from the pool or a new one, before it is
 * answered SERVICE_UNAVAILABLE (retry shortly) instead of queueing for as long as the database
 * stays silent (a stalled server, a network partition): until TCP gives up, minutes later, or for
 * ever. Far past what a healthy database takes. How each database also bounds the commands already
 * sent: mongo.ts, and the products subgraph's product.model.ts.
 */
export const databaseWaitShape = {
  DB_POOL_WAIT_TIMEOUT: durationVar('10s', 100),
};

export const mongoShape = {
  ...databaseWaitShape,
  MONGO_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL')
    .default('mongodb://127.0.0.1:27017'),
  MONGO_DB_PREFIX: z
    .string()
    .regex(/^[a-z0-9_]+$/)
    .default('shop'),
  // At most this many commands in flight per process (why: mongo-pool.ts).
  MONGO_MAX_POOL_SIZE: wholeNumber(MONGO_POOL_SIZE, { max: 500 }),
};

/**
 * Registrations per client address and window, one setting enforced twice: each gateway instance
 * refuses past it before the request goes on, and the users subgraph counts across all its
 * replicas (in its database) before a password is hashed, so N gateways do not allow N times it.
 */
export const registrationLimitShape = {
  REGISTER_LIMIT_PER_IP: wholeNumber(10),
  REGISTER_LIMIT_WINDOW_SECONDS: secondsVar(3_600, 1, LONGEST_DURATION_MS / 1_000),
};

type BaseConfig = z.infer<z.ZodObject<typeof baseConfigShape>>;
export type Config<S extends z.ZodRawShape = Record<never, never>> = BaseConfig & z.infer<z.ZodObject<S>>;

/** `VAR=` (as compose writes for an unset `${VAR:-}`) means unset, not an empty value. */
function withoutEmptyValues(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
}

/** Parses and validates the environment; throws a ConfigError naming each bad variable. */
export function parseConfig<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env): Config<S> {
  const result = z.object({ ...baseConfigShape, ...shape }).safeParse(withoutEmptyValues(env));
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(lines);
  }
  const config = result.data as Record<string, unknown> & {
    NODE_ENV: string;
    JWT_SECRET: string[];
    GATEWAY_SIGNING_SECRETS: string[];
  };
  // Development must be asked for by name (NODE_ENV=development); unset means production.
  const development = config.NODE_ENV === 'development';
  if (config.JWT_SECRET.length === 0) {
    if (!development) throw new ConfigError(['JWT_SECRET: required outside development']);
    config.JWT_SECRET = [DEV_JWT_SECRET];
  }
  if (config.JWT_SECRET.some((secret) => secret.length < MIN_SECRET_LENGTH)) {
    throw new ConfigError([`JWT_SECRET: must be at least ${MIN_SECRET_LENGTH} characters (each, when a list)`]);
  }
  if (config.GATEWAY_SIGNING_SECRETS.length === 0) {
    if (!development) {
      throw new ConfigError(['GATEWAY_SIGNING_SECRETS: required outside development']);
    }
    config.GATEWAY_SIGNING_SECRETS = [DEV_SIGNING_SECRET];
  }
  if (config.GATEWAY_SIGNING_SECRETS.some((secret) => secret.length < MIN_SECRET_LENGTH)) {
    throw new ConfigError([`GATEWAY_SIGNING_SECRETS: each must be at least ${MIN_SECRET_LENGTH} characters`]);
  }
  // Anyone could sign an ADMIN token with a secret copied from a development set-up.
  const published = (['JWT_SECRET', 'GATEWAY_SIGNING_SECRETS'] as const).filter((name) =>
    config[name].some((secret) => PUBLISHED_SECRET.test(secret)),
  );
  if (!development && published.length > 0) {
    throw new ConfigError(published.map((name) => `${name}: a development value, public, refused outside development`));
  }
  return config as unknown as Config<S>;
}

/** parseConfig for a process entry point: a bad value stops the process with a clear message. */
export function loadConfig<S extends z.ZodRawShape>(shape: S): Config<S> {
  try {
    return parseConfig(shape);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
