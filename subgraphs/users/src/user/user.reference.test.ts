import { type Principal } from '@shop/platform/core';
import { findAnyOfQueries } from '@shop/platform/mongo';
import {
  connectTestMongo,
  createTestTokens,
  mongoQueriesDuring,
  serveTestSubgraph,
  type TestSubgraph,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsersServices } from '../create-services.js';
import { usersSubgraph } from '../schema.js';
import { UserModel } from './user.model.js';
import { UserRole } from './user.type.js';

const tokens = createTestTokens();
const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id email phone } }
}`;

let db: { drop: () => Promise<void> };
let server: TestSubgraph;
let ids: string[];

beforeAll(async () => {
  db = await connectTestMongo('users_refs');
  // Inserted directly: 50 registrations would spend their time hashing passwords.
  const records = await UserModel.insertMany(
    Array.from({ length: 50 }, (_, i) => ({
      email: `user-${i}@example.com`,
      passwordHash: 'not-a-real-hash',
      firstName: 'User',
      lastName: String(i),
      phone: `+1415555${String(i).padStart(4, '0')}`,
    })),
  );
  ids = records.map((record) => String(record._id));
  const services = createUsersServices(tokens);
  server = await serveTestSubgraph(usersSubgraph, services, tokens);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

interface Answer {
  // biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are checked field by field
  data?: any;
  errors?: { message: string; path?: (string | number)[]; extensions: Record<string, unknown> }[];
}

const entities = (representations: object[], principal: Principal) =>
  server.query<Answer>(ENTITIES, { representations }, principal);

describe('User references', () => {
  it('resolves 50 User references of one request with one query', async () => {
    const representations = ids.map((id) => ({ __typename: 'User', id }));
    const service: Principal = { id: 'service:orders', role: 'SERVICE' };
    const queries = await mongoQueriesDuring(async () => {
      const answer = await entities(representations, service);
      expect(answer.errors).toBeUndefined();
      expect(answer.data._entities.map((user: { id: string }) => user.id)).toEqual(ids);
      expect(answer.data._entities[7]).toEqual({ id: ids[7], email: 'user-7@example.com', phone: '+14155550007' });
    });
    // One batch: one `$in` on MongoDB; on FerretDB one indexed equality per id (findAnyOf), since
    // it would answer a `$in` by reading the whole collection.
    expect(queries).toEqual(Array(findAnyOfQueries(50)).fill('users.find'));
  });

  it('keeps owner-or-admin per entity: a foreign or unknown id fails alone', async () => {
    const [own, foreign] = ids as [string, string];
    const customer: Principal = { id: own, role: UserRole.CUSTOMER };
    const representations = [own, foreign, own].map((id) => ({ __typename: 'User', id }));
    const queries = await mongoQueriesDuring(async () => {
      const answer = await entities(representations, customer);
      expect(answer.data._entities.map((user: { id: string } | null) => user?.id ?? null)).toEqual([own, null, own]);
      expect(answer.errors?.map((error) => [error.path, error.extensions.code])).toEqual([
        [['_entities', 1], 'NOT_FOUND'],
      ]);
    });
    // The refused id never reaches the database, and the repeated one is read once.
    expect(queries).toEqual(['users.find']);

    const admin: Principal = { id: 'admin', role: UserRole.ADMIN };
    const unknown = [foreign, '0123456789abcdef01234567', 'not-an-id'].map((id) => ({ __typename: 'User', id }));
    const answer = await entities(unknown, admin);
    expect(answer.data._entities.map((user: { id: string } | null) => user?.id ?? null)).toEqual([foreign, null, null]);
    expect(answer.errors?.map((error) => error.extensions.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });
});
