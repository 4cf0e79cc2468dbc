import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A RabbitMQ node of its own, so a test may stop it without touching the shared broker. */
export interface PrivateBroker {
  url: string;
  /** `rabbitmqctl stop_app`: the node stays up, the broker (connections, queues) goes down. */
  stopApp: () => Promise<void>;
  startApp: () => Promise<void>;
  /** Messages per queue, ready or delivered and not yet acked (what `rabbitmqctl list_queues` sees). */
  queueDepths: () => Promise<Map<string, number>>;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts a node with Debian's rabbitmq-server (installed by `pnpm infra:up`) on free ports, with
 * its data and logs in a temporary directory. Takes about 10 s.
 */
export async function startPrivateBroker(name: string): Promise<PrivateBroker> {
  const dir = await mkdtemp(join(tmpdir(), `rabbitmq-${name}-`));
  // Debian's wrapper runs the node as the rabbitmq user when started by root.
  await chmod(dir, 0o777);
  const port = await freePort();
  const node = `${name}-${process.pid}@localhost`;
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
  };
  const ctl = async (...args: string[]) =>
    (await run('rabbitmqctl', ['-q', '-n', node, ...args], { env, cwd: '/' })).stdout;
  /** The CLI refuses at once while the node is still launching; retry until it answers. */
  const awaitStartup = async () => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await ctl('await_startup', '--timeout', '30');
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  const stop = async () => {
    await ctl('stop').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run('rabbitmq-server', ['-detached'], { env, cwd: '/' });
    await awaitStartup();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    stopApp: async () => {
      await ctl('stop_app');
    },
    queueDepths: async () => {
      const rows = (await ctl('list_queues', '--no-table-headers', 'name', 'messages')).trim().split('\n');
      return new Map(
        rows.filter(Boolean).map((row) => {
          const [queue = '', messages = '0'] = row.trim().split(/\s+/);
          return [queue, Number(messages)] as const;
        }),
      );
    },
    startApp: async () => {
      await ctl('start_app');
      await awaitStartup();
    },
    stop,
  };
}
