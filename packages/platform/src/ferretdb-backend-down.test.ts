// FerretDB answers its clients while its own PostgreSQL is down, with `InternalError` (code 1): a
// request or an event that fails so is told the database did not answer (SERVICE_UNAVAILABLE; an
// outage the consumer waits out), not an internal fault. A FerretDB of this test's own, on a
// database of its own, reaches PostgreSQL through a relay that can cut it off.
import 'reflect-metadata';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mongoose from 'mongoose';
import pg from 'pg';
import { Int, Query, Resolver } from 'type-graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependencyOutage } from './errors.js';
import { connectMongo, type MongoHandle } from './mongo.js';
import {
  createTestTokens,
  eventually,
  freePort,
  recordingLogger,
  relayTo,
  serveTestSubgraph,
  type TcpRelay,
  type TestSubgraph,
} from './testing.js';

const ProbeModel = mongoose.model('BackendDownProbe', new mongoose.Schema({ n: Number }));

@Resolver()
class ProbeResolver {
  @Query(() => Int)
  probes(): Promise<number> {
    return ProbeModel.countDocuments().exec();
  }
}

const PROBES = '{ probes }';
type Answer = { data?: { probes: number } | null; errors?: { message: string; extensions: Record<string, unknown> }[] };

/**
 * The FerretDB binary the infrastructure runs (scripts/infra/ferretdb.sh takes the one on the PATH,
 * or builds one into Go's bin folder): FERRETDB_BIN, the one this checkout's infrastructure runs,
 * the PATH's, or where the build puts it.
 */
function ferretdbBinary(): string {
  const pidFile = resolve(import.meta.dirname, '../../../.infra/ferretdb.pid');
  const running = () => {
    const pid = readFileSync(pidFile, 'utf8').trim();
    // A stale pid may be another program's now.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ferretdb') ? readlinkSync(`/proc/${pid}/exe`) : '';
  };
  const onPath = () => execFileSync('sh', ['-c', 'command -v ferretdb'], { encoding: 'utf8' }).trim();
  const goBin = () => execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).split(':')[0]?.trim() ?? '';
  const candidates = [
    () => process.env.FERRETDB_BIN ?? '',
    running,
    onPath,
    () => join(goBin(), 'bin/ferretdb'),
    () => join(homedir(), 'go/bin/ferretdb'),
  ];
  for (const candidate of candidates) {
    try {
      const path = candidate();
      if (path && existsSync(path)) return path;
    } catch {
      // Not this one.
    }
  }
  throw new Error('no FerretDB binary: run `pnpm infra:up` (it builds one) or set FERRETDB_BIN');
}

/** Whether something accepts connections on `port` (the socket is closed again at once). */
const listening = (port: number) =>
  new Promise<boolean>((answer) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      answer(true);
    });
    socket.once('error', () => answer(false));
  });

const { log, lines } = recordingLogger('error');
const pgUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/shop');
const database = `ferretdb_down_${randomUUID().slice(0, 8)}`;
let admin: pg.Client;
let relay: TcpRelay;
let ferretdb: ChildProcess | undefined;
const ferretdbSaid: string[] = [];
const stopFerretdb = () => ferretdb?.kill();
let stateDir: string;
let mongo: MongoHandle;
let server: TestSubgraph;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: pgUrl.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const relayed = await relayTo(Object.assign(new URL(pgUrl), { pathname: `/${database}` }).toString(), 5432);
  relay = relayed.relay;
  const port = await freePort();
  stateDir = mkdtempSync(join(tmpdir(), 'ferretdb-down-'));
  const child = spawn(
    ferretdbBinary(),
    [
      '--handler=pg',
      `--postgresql-url=${relayed.url}`,
      `--state-dir=${stateDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  ferretdb = child;
  // What it said before exiting early explains a failed start.
  child.stderr?.on('data', (chunk: Buffer) => void ferretdbSaid.push(chunk.toString()));
  process.once('exit', stopFerretdb);
  await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`FerretDB exited: ${ferretdbSaid.join('').slice(-2_000)}`);
      return listening(port);
    },
    20_000,
    'FerretDB listening',
  );
  mongo = await connectMongo(
    { MONGO_URL: `mongodb://127.0.0.1:${port}`, MONGO_DB_PREFIX: 'down', DB_POOL_WAIT_TIMEOUT: 1_000 },
    'probe',
    log,
  );
  await ProbeModel.create({ n: 1 });
  server = await serveTestSubgraph({ name: 'backend-down-probe', resolvers: [ProbeResolver] }, {}, createTestTokens(), {
    log,
    databaseUnavailable: mongo.unavailable,
  });
}, 60_000);

afterAll(async () => {
  relay?.resume();
  try {
    await server?.close();
    await mongo?.close();
  } finally {
    stopFerretdb();
    await relay?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin?.end().catch(() => undefined);
  }
});

describe('a FerretDB whose PostgreSQL is down', () => {
  it('is answered SERVICE_UNAVAILABLE, the failure an outage, and serves again once PostgreSQL is back', async () => {
    expect((await server.query<Answer>(PROBES)).data?.probes).toBe(1);
    relay.refuse();
    // FerretDB itself still answers: the failure is its InternalError, not the driver's.
    const failure = await ProbeModel.countDocuments().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ name: 'MongoServerError', code: 1 });
    expect(dependencyOutage(mongo.unavailable)(failure)).toBe(true);

    const answer = await server.query<Answer>(PROBES);
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
    expect(answer.errors?.[0]?.message).not.toMatch(/connect|EOF|postgres/i);
    expect(lines.some((line) => line.msg === 'internal error')).toBe(true);

    relay.resume();
    const back = await eventually(async () => (await server.query<Answer>(PROBES)).data, 15_000, 'answers again');
    expect(back.probes).toBe(1);
  });
});
