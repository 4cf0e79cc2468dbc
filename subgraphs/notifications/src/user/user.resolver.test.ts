import { orderCreated } from '@shop/events';
import { type Principal } from '@shop/platform/core';
import {
  connectTestMongo,
  createTestTokens,
  mongoQueriesDuring,
  serveTestSubgraph,
  type TestSubgraph,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContactDirectory } from '../contact/contact.test-directory.js';
import { NotificationService } from '../notification/notification.service.js';
import { RecordingOutbox } from '../notification/notification.test-outbox.js';
import { notificationsSubgraph } from '../schema.js';

const tokens = createTestTokens();
const ada: Principal = { id: 'user-ada', role: 'CUSTOMER' };
const bob: Principal = { id: 'user-bob', role: 'CUSTOMER' };
const admin: Principal = { id: 'user-admin', role: 'ADMIN' };

let db: { drop: () => Promise<void> };
let subgraph: TestSubgraph;

const USER_NOTIFICATIONS = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id notifications { channel eventType subject status orderId createdAt } } }
}`;

const post = (query: string, variables: Record<string, unknown>, principal?: Principal) =>
  subgraph.query<{ data?: Record<string, unknown>; errors?: { extensions: { code: string } }[] }>(
    query,
    variables,
    principal,
  );

async function notificationsOf(userId: string, principal?: Principal) {
  const result = await post(USER_NOTIFICATIONS, { representations: [{ __typename: 'User', id: userId }] }, principal);
  return result as {
    data?: { _entities: ({ id: string; notifications: Record<string, unknown>[] } | null)[] };
    errors?: { extensions: { code: string } }[];
  };
}

const MY_NOTIFICATIONS = `query($first: Int, $after: String) {
  notifications(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { channel orderId status } }
  }
}`;

beforeAll(async () => {
  db = await connectTestMongo('notifications');
  // No address on file: the decider itself records the notification (SKIPPED); one it sends is
  // written by its sender.
  const contacts = new TestContactDirectory();
  const notifications = new NotificationService(contacts, new RecordingOutbox());
  await notifications.handle(orderCreated.create({ orderId: 'o-1', userId: ada.id, totalAmount: '19.99', items: [] }));
  subgraph = await serveTestSubgraph(notificationsSubgraph, { notifications }, tokens);
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
          subject: 'Order confirmation o-1',
          status: 'SKIPPED',
          orderId: 'o-1',
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
      ]);
    }
  });

  it("reads a user's notifications once however many references ask, and once per user for an admin", async () => {
    // A page of ada's own orders, each with `user { notifications }`: the same User 50 times.
    const same = Array.from({ length: 50 }, () => ({ __typename: 'User', id: ada.id }));
    const own = await mongoQueriesDuring(async () => {
      const answer = await post(USER_NOTIFICATIONS, { representations: same }, ada);
      expect(answer.errors).toBeUndefined();
      expect(
        ((answer.data?._entities ?? []) as { notifications: unknown[] }[]).map((user) => user.notifications.length),
      ).toEqual(Array(50).fill(1));
    });
    expect(own).toEqual(['notifications.find']);
    const two = [...same.slice(0, 10), { __typename: 'User', id: bob.id }, ...same.slice(0, 10)];
    const admins = await mongoQueriesDuring(async () => {
      expect((await post(USER_NOTIFICATIONS, { representations: two }, admin)).errors).toBeUndefined();
    });
    expect(admins).toEqual(['notifications.find', 'notifications.find']);
  });

  it('answers another customer NOT_FOUND (as for an unknown user) and an anonymous caller UNAUTHENTICATED', async () => {
    expect((await notificationsOf(ada.id, bob)).errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect((await notificationsOf(ada.id)).errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('Query.notifications over HTTP', () => {
  it("pages through the caller's own notifications only", async () => {
    const own = await post(MY_NOTIFICATIONS, { first: 10 }, ada);
    expect(own.errors).toBeUndefined();
    expect(own.data?.notifications).toEqual({
      totalCount: 1,
      pageInfo: { hasNextPage: false, endCursor: expect.any(String) },
      edges: [{ cursor: expect.any(String), node: { channel: 'EMAIL', orderId: 'o-1', status: 'SKIPPED' } }],
    });
    expect((await post(MY_NOTIFICATIONS, {}, bob)).data?.notifications).toMatchObject({ totalCount: 0, edges: [] });
    expect((await post(MY_NOTIFICATIONS, {})).errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect((await post(MY_NOTIFICATIONS, { after: 'not-a-cursor' }, ada)).errors?.[0]?.extensions.code).toBe(
      'BAD_USER_INPUT',
    );
  });
});
