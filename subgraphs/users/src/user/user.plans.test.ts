import { notificationEmail } from '@shop/events';
import {
  connectTestMongo,
  createTestTokens,
  explainShapes,
  type PlanReport,
  recordQueryShapes,
  testContext,
} from '@shop/platform/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsersServices } from '../create-services.js';
import { ensureAdmin } from './admin-bootstrap.js';
import { UserModel } from './user.model.js';

// Every filter the users service sends for registration, login (right and wrong), refresh, profile,
// address confirmation, role and password changes, logout, the revocation check and the purge, explained by the server.
const services = createUsersServices(createTestTokens(), {
  LOGIN_MAX_FAILURES_PER_EMAIL: 3,
  LOGIN_MAX_FAILURES_PER_IP: 6,
  LOGIN_WINDOW_SECONDS: 2,
  // The wait at its cap from the first failure, so the second drops the email's oldest (auth-throttle.ts).
  LOGIN_BACKOFF_AFTER_FAILURES: 0,
  LOGIN_BACKOFF_BASE_MS: 1,
  LOGIN_BACKOFF_MAX_MS: 1,
});
const { auth, users } = services;
const from = (clientIp: string) => ({ ...testContext(null, services), clientIp });
const as = (id: string, role: 'CUSTOMER' | 'ADMIN' | 'SERVICE' = 'CUSTOMER') => testContext({ id, role }, services);

let db: { drop: () => Promise<void> };
let report: PlanReport;

beforeAll(async () => {
  db = await connectTestMongo('users_plans');
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  const recorder = recordQueryShapes();
  await ensureAdmin('root@example.com', 'the admin password');
  const ada = { email: 'ada@example.com', password: 'correct horse', firstName: 'Ada', lastName: 'Lovelace' };
  const registered = await auth.register(from('10.9.0.1'), ada);
  const id = registered.user.id;
  for (const guess of ['wrong password', 'another wrong one']) {
    await expect(auth.login(from('10.9.0.1'), { email: ada.email, password: guess })).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  }
  const session = await auth.login(from('10.9.0.1'), ada);
  const refreshed = await auth.refresh(from('10.9.0.1'), session.refreshToken);
  await users.me(as(id));
  await users.findById(as(id), id);
  await users.updateMe(as(id), { firstName: 'Augusta Ada' });
  await services.emailVerifications.resend(as(id));
  const [, link] = (await UserModel.findById(id).lean())?.pendingEvents ?? [];
  const token = /#token=(\S+)$/m.exec(notificationEmail.schema.parse(link).data.body)?.[1];
  await services.emailVerifications.verify(from('10.9.0.1'), token);
  const bob = await auth.register(from('10.9.0.2'), { ...ada, email: 'bob@example.com' });
  await users.setRole(as('admin', 'ADMIN'), bob.user.id, 'ADMIN');
  const changed = await auth.changePassword(as(id), { currentPassword: ada.password, newPassword: 'a new secret' });
  await auth.logout(from('10.9.0.1'), changed.refreshToken);
  await auth.logout(from('10.9.0.1'), refreshed.refreshToken);
  await users.logoutEverywhere(as(id), undefined);
  await users.tokenVersions(as('service:test', 'SERVICE'), [id]);
  await users.tokenVersions(as('service:test', 'SERVICE'), [id, bob.user.id]);
  await auth.purgeExpired(new Date()); // a process's first purge: by range
  await auth.purgeExpired(new Date()); // every later one: by the hour records fall due in
  await services.emailVerifications.purgeExpired(new Date()); // likewise for the links
  await services.emailVerifications.purgeExpired(new Date());
  recorder.stop();
  report = await explainShapes(recorder.shapes());
}, 120_000);
afterAll(() => db?.drop());

describe('users: query plans (explain through the wire)', () => {
  it('serves every filter from an index: users, refresh tokens, login windows', () => {
    expect(report.scanned).toEqual([]);
    for (const collection of ['refresh_tokens', 'refresh_token_claims', 'login_attempt_log']) {
      expect(report.served, collection).toContain(`${collection} delete {"expiresHour":"?","expiresAt":{"$lt":"?"}}`);
    }
    expect(report.served).toContain(
      'users find {"emailVerificationExpiresHour":"?","emailVerificationExpiresAt":{"$lt":"?"}}',
    );
    expect(report.servedCollections).toEqual(
      expect.arrayContaining(['users', 'refresh_tokens', 'refresh_token_claims', 'login_attempt_log']),
    );
  });

  it('names what FerretDB 1.x cannot push down to PostgreSQL', () => {
    if (report.server !== 'ferretdb-postgresql') return;
    // Read whole there: the range deletes of a process's first purge (ExpiredRecordsPurge; later
    // ones delete by hour, served), and the range read of its first purge of links (ExpiredLinksPurge). A revocation check or reference batch of several ids goes as
    // one equality per id (findAnyOf), served.
    expect(report.notPushedDown).toEqual([
      'login_attempt_log delete {"expiresAt":{"$lt":"?"}}',
      'refresh_token_claims delete {"expiresAt":{"$lt":"?"}}',
      'refresh_tokens delete {"expiresAt":{"$lt":"?"}}',
      'users find {"emailVerificationExpiresAt":{"$lt":"?"}}',
    ]);
  });
});
