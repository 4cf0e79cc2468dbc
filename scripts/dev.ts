// `pnpm dev` (after infra:up and db:migrate): all six processes, logs prefixed by name.
import concurrently from 'concurrently';
import { STACK_PROCESSES } from './stack.js';

const colors = ['blue', 'magenta', 'cyan', 'yellow', 'green', 'white'];

const { result } = concurrently(
  STACK_PROCESSES.map(({ name }, index) => ({
    name,
    command: `pnpm --filter @shop/${name} dev`,
    prefixColor: colors[index],
    // No addresses: each service's defaults are the stack at base port 3000 (scripts/stack.ts).
    env: {
      // Output goes through concurrently's pipe, not a terminal: ask for pretty logs explicitly.
      // Unset NODE_ENV means production (secrets required): `pnpm dev` asks for development by name.
      NODE_ENV: process.env.NODE_ENV ?? 'development',
      LOG_PRETTY: process.env.LOG_PRETTY ?? 'true',
    },
  })),
  { prefix: 'name', killOthersOn: ['failure'], restartTries: 0 },
);
await result.catch(() => process.exit(1));
