// `pnpm bench:security-headers`: what the gateway's security headers (helmet, gateway/src/http/
// security-headers.ts) cost per answer, two ways in one run:
// - the middleware alone, called on real ServerResponse objects (no socket): µs per call;
// - three Express apps, each a process of its own (this script with `--serve`), answering the same
//   JSON (the storefront page's size): without the headers, behind the middleware, and with the
//   same headers set by one loop (what sending them costs, helmet's work aside), loaded by
//   autocannon in turns (load.ts): req/s, the ratio, and each server's CPU time per answer. With
//   nothing else to do per request this is the largest share the headers can take; the gateway
//   does far more work per answer.
import { spawn } from 'node:child_process';
import { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type express from 'express';
import { securityHeaders } from '../gateway/src/http/security-headers.js';
import { compare, loadAverage, printTable, type Target } from './load.js';
import { ProcessUsage } from './process-usage.js';

// Express is the gateway's dependency, not the repository root's: load the gateway's own copy.
const loadExpress = createRequire(new URL('../gateway/package.json', import.meta.url))('express') as typeof express;

const CALLS = 200_000;
const ANSWER = JSON.stringify({ data: { products: { items: 'x'.repeat(7_900) } } }); // ~7.9 kB, as the storefront page

function middlewareMicroseconds(): number {
  const middleware = securityHeaders();
  const request = new IncomingMessage(new Socket());
  request.method = 'POST';
  request.url = '/graphql';
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      middleware(request as never, new ServerResponse(request) as never, () => {});
    }
  };
  run(20_000); // warm-up
  const baseline = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) new ServerResponse(request);
  const allocation = Number(process.hrtime.bigint() - baseline);
  const started = process.hrtime.bigint();
  run(CALLS);
  const elapsed = Number(process.hrtime.bigint() - started);
  return (elapsed - allocation) / CALLS / 1_000;
}

type Variant = 'none' | 'helmet' | 'copied';

/** The headers securityHeaders() sets, read off one answer: the same bytes without helmet's work. */
function copiedHeaders(): express.RequestHandler {
  const request = new IncomingMessage(new Socket());
  const sample = new ServerResponse(request);
  securityHeaders()(request as never, sample as never, () => {});
  const headers = Object.entries(sample.getHeaders());
  return (_req, res, next) => {
    for (const [name, value] of headers) if (value !== undefined) res.setHeader(name, value);
    next();
  };
}

/** The child: one app on an ephemeral port, which it prints. */
function serve(variant: Variant): void {
  const app = loadExpress();
  app.disable('x-powered-by');
  if (variant === 'helmet') app.use(securityHeaders());
  if (variant === 'copied') app.use(copiedHeaders());
  app.post('/graphql', (_req, res) => {
    res.type('application/json').send(ANSWER);
  });
  const server = app.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port));
}

async function spawnServer(name: string, variant: Variant): Promise<{ target: Target; stop: () => void }> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--serve', variant], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`${name}: exited with ${code} before listening`)));
  });
  const usage = new ProcessUsage(child.pid ?? 0);
  cpu.set(name, usage);
  return {
    target: {
      name,
      http: {
        url: `http://127.0.0.1:${port}/graphql`,
        body: '{"query":"{ products { items } }"}',
        headers: {},
        expectBody: ANSWER,
      },
      onTurn: usage.turn,
    },
    stop: () => child.kill(),
  };
}

const cpu = new Map<string, ProcessUsage>();
const cpuUsPerAnswer = (name: string, requests: number) => ((cpu.get(name)?.cpuMs ?? Number.NaN) * 1_000) / requests;

async function main(): Promise<void> {
  console.log(`load average before: ${loadAverage()}`);
  const perCall = middlewareMicroseconds();
  console.log(`\nsecurityHeaders() alone: ${perCall.toFixed(2)} µs per answer (${CALLS.toLocaleString()} calls)`);
  const servers = [
    await spawnServer('no headers', 'none'),
    await spawnServer('securityHeaders() (helmet)', 'helmet'),
    await spawnServer('the same headers, set directly', 'copied'),
  ];
  try {
    const figures = await compare(
      servers.map((server) => server.target),
      { concurrency: 50, warmupSeconds: 3, measureSeconds: 20, rounds: 4 },
    );
    printTable('An Express app answering 7.9 kB of JSON, with and without the security headers', figures, {
      headers: ['server CPU µs/answer'],
      cells: (f) => [cpuUsPerAnswer(f.name, f.requests).toFixed(1)],
    });
    const [none, ...others] = figures;
    if (!none) throw new Error('no figures for the app without headers');
    console.log('');
    for (const other of others) {
      const added = cpuUsPerAnswer(other.name, other.requests) - cpuUsPerAnswer(none.name, none.requests);
      console.log(
        `${other.name}: ×${(other.rps / none.rps).toFixed(3)} req/s, ${added.toFixed(1)} µs CPU added per answer`,
      );
    }
  } finally {
    for (const server of servers) server.stop();
  }
  console.log(`load average after: ${loadAverage()}`);
}

const serving = process.argv.indexOf('--serve');
if (serving >= 0) serve(process.argv[serving + 1] as Variant);
else await main();
