// What the contract tests know of the stack `pnpm deploy:smoke` started: the published gateway and
// the first admin (from the smoke's env file). Subgraphs are not published, so there are none.
import type { TestProject } from 'vitest/node';
import type {} from '../contract/contract-stack.js'; // the typed 'contractStack' it provides

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through pnpm deploy:smoke`);
  return value;
}

export default function setup(project: TestProject): void {
  project.provide('contractStack', {
    gatewayUrl: required('DEPLOY_SMOKE_GATEWAY_URL'),
    subgraphUrls: {},
    admin: { email: required('DEPLOY_SMOKE_ADMIN_EMAIL'), password: required('DEPLOY_SMOKE_ADMIN_PASSWORD') },
    mailbox: { podmanContainer: `${process.env.DEPLOY_SMOKE_PROJECT ?? 'shop-smoke'}_mail_1` },
  });
}
