// What the static compose tests share: the repository's files, the six processes with their
// configuration and port, and compose's own reading of `${VAR:-default}` / `${VAR:?message}`.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewayConfig } from '../gateway/src/config.js';
import { notificationsConfig } from '../subgraphs/notifications/src/config.js';
import { ordersConfig } from '../subgraphs/orders/src/config.js';
import { paymentsConfig } from '../subgraphs/payments/src/config.js';
import { productsConfig } from '../subgraphs/products/src/config.js';
import { usersConfig } from '../subgraphs/users/src/config.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const read = (file: string) => readFileSync(resolve(root, file), 'utf8');

/** What an operator sets in .env for the variables compose requires (`${VAR:?…}`). */
const REQUIRED: Record<string, string> = {
  JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
  GATEWAY_SIGNING_SECRETS: 'a-production-signing-secret-of-32-characters',
  SMTP_URL: 'smtp://mail.example.com:587',
};

/** Every process: its configuration's shape, its port and the variable that sets it. */
export const processes = {
  users: { shape: usersConfig, port: 3001, portVar: 'USERS_PORT' },
  products: { shape: productsConfig, port: 3002, portVar: 'PRODUCTS_PORT' },
  orders: { shape: ordersConfig, port: 3003, portVar: 'ORDERS_PORT' },
  payments: { shape: paymentsConfig, port: 3004, portVar: 'PAYMENTS_PORT' },
  notifications: { shape: notificationsConfig, port: 3005, portVar: 'NOTIFICATIONS_PORT' },
  gateway: { shape: gatewayConfig, port: 3000, portVar: 'GATEWAY_PORT' },
};

/** What compose hands the container for `${VAR:-default}` / `${VAR:?message}` with an empty .env. */
export function interpolate(value: string | number): string {
  return String(value).replace(
    /\$\{(\w+)(:[-?])?([^}]*)\}/g,
    (_match, name: string, operator?: string, rest?: string) => {
      if (operator === ':-') return rest ?? '';
      if (operator === ':?') return REQUIRED[name] ?? `required-${name.toLowerCase()}`;
      throw new Error(`\${${name}} has no default`);
    },
  );
}
