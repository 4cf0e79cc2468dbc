// `pnpm dev` (after infra:up and db:migrate): all six processes, logs prefixed by name.
import concurrently from 'concurrently';

const processes = ['users', 'products', 'orders', 'payments', 'notifications', 'gateway'];
const colors = ['blue', 'magenta', 'cyan', 'yellow', 'green', 'white'];

const { result } = concurrently(
  processes.map((name, index) => ({
    name,
    command: `pnpm --filter @shop/${name} dev`,
    prefixColor: colors[index],
    // Output goes through concurrently's pipe, not a terminal: ask for pretty logs explicitly.
    // Unset NODE_ENV means production (secrets required): `pnpm dev` asks for development by name.
    env: { NODE_ENV: process.env.NODE_ENV ?? 'development', LOG_PRETTY: process.env.LOG_PRETTY ?? 'true' },
  })),
  { prefix: 'name', killOthersOn: ['failure'], restartTries: 0 },
);
await result.catch(() => process.exit(1));
