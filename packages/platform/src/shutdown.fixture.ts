// A process with onShutdown's handlers (spawned by shutdown.test.ts): on each line of stdin it
// does what the line says, inside a request's log context, and prints its metrics on demand.
import { createInterface } from 'node:readline';
import { register } from 'prom-client';
import { runWithLogContext } from './log-context.js';
import { createLogger } from './logger.js';
import { onShutdown } from './shutdown.js';

const log = createLogger('guarded', { LOG_LEVEL: 'info', LOG_PRETTY: false });
onShutdown(log, [() => log.info('closing step ran')]);
const actions: Record<string, () => void | Promise<void>> = {
  reject: () => void Promise.reject(new Error('nobody waited for me')),
  throw: () => {
    setImmediate(() => {
      throw new Error('thrown from a timer');
    });
  },
  metrics: async () => {
    process.stdout.write(`${await register.metrics()}\n`);
  },
};
createInterface({ input: process.stdin }).on('line', (line) => {
  const [action, requestId] = line.split(' ');
  runWithLogContext({ requestId: requestId ?? 'none' }, () => void actions[action ?? '']?.());
});
log.info('ready');
