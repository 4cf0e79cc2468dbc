// A process whose start-up fails (spawned by shutdown.test.ts), with a timer that would keep it
// running as an open connection does.
import { createLogger } from './logger.js';
import { startOrExit } from './shutdown.js';

const log = createLogger('starting', { LOG_LEVEL: 'info', LOG_PRETTY: false });
setInterval(() => {}, 1_000);
await startOrExit(log, async () => {
  throw new Error('no database at mongodb://nowhere:27017');
});
log.info('serving');
