// Vitest global setup for the e2e project: starts the five subgraphs and the gateway as real
// processes against the real backing services, waits until each is ready, stops them after.
import { createWriteStream, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  dropStackDatabases,
  graphqlUrl,
  ROOT,
  STACK_PROCESSES,
  serviceLaunch,
  spawnLaunch,
  stopProcesses,
  waitReady,
} from '../../scripts/stack.js';
import { startMailSink } from './mail-sink.js';
import { ADMIN, GATEWAY, PORTS, stackEnv, stackLogName } from './stack.js';

const logDir = resolve(ROOT, '.infra/logs');
const logName = stackLogName;
// Generous: on a busy shared machine, tsx compiling six processes at once can take minutes.
const READY_TIMEOUT_MS = 240_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  mkdirSync(logDir, { recursive: true });
  // The stack's email goes to a real SMTP server here, which keeps it in the mailbox file the tests read.
  const mailbox = resolve(logDir, logName('mail').replace(/\.log$/, '.jsonl'));
  const mail = await startMailSink(mailbox);
  const env = { ...stackEnv(Date.now().toString(36)), SMTP_URL: mail.url };
  const children = STACK_PROCESSES.map(({ name }) => {
    const log = createWriteStream(resolve(logDir, logName(name)));
    const child = spawnLaunch(serviceLaunch(name), env, ['ignore', 'pipe', 'pipe']);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return { name, child };
  });
  const stop = async () => {
    await stopProcesses(children.map(({ child }) => child));
    await mail.close();
    await dropStackDatabases(env);
  };
  try {
    await Promise.all(
      children.map(({ name, child }) =>
        waitReady(name, PORTS[name], child, READY_TIMEOUT_MS, `; see .infra/logs/${logName(name)}`),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  // What the black-box contract suite (tests/contract) knows of this stack: its addresses and first admin.
  const subgraphs = STACK_PROCESSES.filter(({ name }) => name !== 'gateway');
  project.provide('contractStack', {
    gatewayUrl: GATEWAY,
    subgraphUrls: Object.fromEntries(subgraphs.map(({ name }) => [name, graphqlUrl(PORTS[name])])),
    admin: ADMIN,
    mailbox: { file: mailbox },
  });
  return stop;
}
