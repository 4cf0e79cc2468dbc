import type { AddressInfo } from 'node:net';
import { orderCreated } from '@shop/events';
import { createTokenService, type Principal, type RunningServer, startSubgraph } from '@shop/platform';
import { connectTestMongo, silentLogger } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationService } from '../notification/notification.service.js';
import { notificationsSubgraph } from '../schema.js';

const tokens = createTokenService({
  JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256',
  JWT_ISSUER: 'shop',
  JWT_AUDIENCE: 'shop-api',
  JWT_TTL_SECONDS: 600,
});
const ada: Principal = { id: 'user-ada', role: 'CUSTOMER' };
const bob: Principal = { id: 'user-bob', role: 'CUSTOMER' };
const admin: Principal = { id: 'user-admin', role: 'ADMIN' };

let db: { drop: () => Promise<void> };
let subgraph: RunningServer;
let url: string;

const USER_NOTIFICATIONS = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id notifications { channel eventType body orderId createdAt } } }
}`;

async function notificationsOf(userId: string, principal?: Principal) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(principal ? { authorization: `Bearer ${await tokens.sign(principal)}` } : {}),
    },
    body: JSON.stringify({
      query: USER_NOTIFICATIONS,
      variables: { representations: [{ __typename: 'User', id: userId }] },
    }),
  });
  return (await response.json()) as {
    data?: { _entities: ({ id: string; notifications: Record<string, unknown>[] } | null)[] };
    errors?: { extensions: { code: string } }[];
  };
}

beforeAll(async () => {
  db = await connectTestMongo('notifications');
  const notifications = new NotificationService();
  await notifications.record(orderCreated.create({ orderId: 'o-1', userId: ada.id, totalAmount: '19.99', items: [] }));
  subgraph = await startSubgraph({
    definition: notificationsSubgraph,
    port: 0,
    services: { notifications },
    tokens,
    log: silentLogger,
    readiness: [],
  });
  url = `http://127.0.0.1:${(subgraph.server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await subgraph.close();
  await db.drop();
});

describe('User.notifications over HTTP', () => {
  it("serves a user's notifications to that user and an admin", async () => {
    for (const principal of [ada, admin]) {
      const result = await notificationsOf(ada.id, principal);
      expect(result.errors).toBeUndefined();
      expect(result.data?._entities[0]?.notifications).toEqual([
        {
          channel: 'EMAIL',
          eventType: 'order.created',
          body: 'Your order o-1 was created. Total: 19.99.',
          orderId: 'o-1',
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
      ]);
    }
  });

  it('refuses another customer with FORBIDDEN and an anonymous caller with UNAUTHENTICATED', async () => {
    expect((await notificationsOf(ada.id, bob)).errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect((await notificationsOf(ada.id)).errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });
});
