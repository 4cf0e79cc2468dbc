// The only things this suite knows about the stack under test, handed over by the global setup that
// started it (`project.provide`). Everything else it learns over HTTP and WebSocket, as a client would.
import { inject } from 'vitest';

export interface ContractStack {
  /** e.g. http://127.0.0.1:3000 */
  gatewayUrl: string;
  /** Each subgraph's own GraphQL endpoint by name (users, products, orders, payments, notifications). */
  subgraphUrls: Record<string, string>;
  /** The account the stack was started with as ADMIN_EMAIL / ADMIN_PASSWORD. */
  admin: { email: string; password: string };
  /**
   * Where the email the stack sends can be read, as a customer reads their inbox: a file of one raw
   * message per line, as a JSON string (the e2e stack's SMTP server), or a podman container's log
   * (the smoke's mail sink, which prints each message).
   */
  mailbox: { file: string } | { podmanContainer: string };
}

declare module 'vitest' {
  interface ProvidedContext {
    contractStack: ContractStack;
  }
}

export const contractStack = (): ContractStack => inject('contractStack');
