import { connectTestMongo, createTestTokens, recordingLogger, testContext } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsersServices } from '../create-services.js';
import { ensureAdmin, ensureConfiguredAdmin } from './admin-bootstrap.js';
import { UserModel } from './user.model.js';
import { type User, UserRole } from './user.type.js';

const tokens = createTestTokens();
const services = createUsersServices(tokens);
const { users, auth } = services;
const anonymous = testContext(null, services);
const as = (user: Pick<User, 'id' | 'role'>) => testContext({ id: user.id, role: user.role }, services);
let db: { drop: () => Promise<void> };
let ada: User;
let bob: User;
let bobRefreshToken: string;

beforeAll(async () => {
  db = await connectTestMongo('users');
  const account = { password: 'correct horse', firstName: 'Ada', lastName: 'Lovelace' };
  ada = (await auth.register(anonymous, { ...account, email: 'ada@example.com' })).user;
  const registered = await auth.register(anonymous, { ...account, email: 'bob@example.com' });
  bob = registered.user;
  bobRefreshToken = registered.refreshToken;
});
afterAll(() => db.drop());

describe('UserService', () => {
  it('never promotes: an ADMIN_EMAIL that someone registered stops the bootstrap, and the account stays a customer', async () => {
    const squatter = await auth.register(anonymous, {
      email: 'boss@example.com',
      password: 'squatter password',
      firstName: 'Mallory',
      lastName: 'Early',
    });
    await expect(ensureAdmin('Boss@Example.com', 'the real admin password')).rejects.toThrow(
      /ADMIN_EMAIL boss@example.com belongs to an existing account that is not an admin/,
    );
    expect((await UserModel.findById(squatter.user.id).lean())?.role).toBe(UserRole.CUSTOMER);
    await expect(
      auth.login(anonymous, { email: 'boss@example.com', password: 'the real admin password' }),
    ).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('lets a customer read only their own account, an admin any', async () => {
    expect((await users.findById(as(ada), ada.id)).email).toBe('ada@example.com');
    expect(await users.me(as(ada))).toMatchObject({ id: ada.id, email: 'ada@example.com' });
    await expect(users.findById(as(ada), bob.id)).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    await expect(users.findById(anonymous, bob.id)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    const admin = { id: 'admin', role: UserRole.ADMIN };
    expect((await users.findById(as(admin), bob.id)).email).toBe('bob@example.com');
    await expect(users.findById(as(admin), 'not-an-id')).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });

  it('updates only the caller’s own names, trimmed and validated', async () => {
    const updated = await users.updateMe(as(ada), { firstName: '  Augusta Ada ', lastName: null });
    expect(updated).toMatchObject({ id: ada.id, firstName: 'Augusta Ada', lastName: 'Lovelace', role: 'CUSTOMER' });
    expect((await users.findById(as(bob), bob.id)).firstName).toBe('Ada');
    await expect(users.updateMe(as(ada), { firstName: '' })).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'firstName' }] },
    });
    await expect(users.updateMe(as(ada), {})).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    await expect(users.updateMe(anonymous, { firstName: 'X' })).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('keeps an optional E.164 phone: given at registration, changed or removed by its owner only', async () => {
    expect(ada.phone).toBeNull();
    const grace = (
      await auth.register(anonymous, {
        email: 'grace@example.com',
        password: 'correct horse',
        firstName: 'Grace',
        lastName: 'Hopper',
        phone: ' +14155550100 ',
      })
    ).user;
    expect(grace.phone).toBe('+14155550100');
    expect((await users.findById(as(grace), grace.id)).phone).toBe('+14155550100');
    expect((await users.updateMe(as(grace), { phone: '+442071838750' })).phone).toBe('+442071838750');
    // Leaving it out keeps it; an empty string removes it, from the stored document too.
    expect((await users.updateMe(as(grace), { firstName: 'Amazing Grace' })).phone).toBe('+442071838750');
    expect(await users.updateMe(as(grace), { phone: '' })).toMatchObject({ firstName: 'Amazing Grace', phone: null });
    expect(await UserModel.findById(grace.id).lean()).not.toHaveProperty('phone');
    expect((await users.findById(as(bob), bob.id)).phone).toBeNull();

    for (const phone of [
      '4155550100',
      '+0155550100',
      '+1 415 555 0100',
      '+12345',
      `+1${'2'.repeat(15)}`,
      '+1415abc0100',
    ]) {
      await expect(users.updateMe(as(grace), { phone })).rejects.toMatchObject({
        extensions: {
          code: 'BAD_USER_INPUT',
          fields: [{ field: 'phone', message: 'must be an E.164 number such as +14155550100' }],
        },
      });
      await expect(
        auth.register(anonymous, {
          email: 'x@example.com',
          password: 'correct horse',
          firstName: 'X',
          lastName: 'Y',
          phone,
        }),
      ).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'phone' }] } });
    }
    expect(await UserModel.countDocuments({ email: 'x@example.com' })).toBe(0);
  });

  it('lets only an admin change roles, never their own, and ends the changed user’s sessions', async () => {
    await expect(users.setRole(as(ada), bob.id, 'ADMIN')).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    const root = { id: ada.id, role: UserRole.ADMIN };
    expect((await users.setRole(as(root), bob.id, 'ADMIN')).role).toBe('ADMIN');
    await expect(auth.refresh(anonymous, bobRefreshToken)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
    // A fresh login carries the new role, under the bumped token version.
    const again = await auth.login(anonymous, { email: 'bob@example.com', password: 'correct horse' });
    expect(await tokens.verify(again.token)).toEqual({ id: bob.id, role: 'ADMIN', tokenVersion: 1 });
    await expect(users.setRole(as(root), ada.id, 'CUSTOMER')).rejects.toMatchObject({
      extensions: { code: 'CONFLICT' },
    });
    // The same id in capitals (an ObjectId's hex reads either way) is still their own.
    const versionOf = async () => (await UserModel.findById(ada.id).lean())?.tokenVersion ?? 0;
    const version = await versionOf();
    await expect(users.setRole(as(root), ada.id.toUpperCase(), 'CUSTOMER')).rejects.toMatchObject({
      extensions: { code: 'CONFLICT' },
    });
    expect(await versionOf()).toBe(version);
    await expect(users.setRole(as(root), bob.id, 'ROOT')).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
    await expect(users.setRole(as(root), '0123456789abcdef01234567', 'ADMIN')).rejects.toMatchObject({
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('bootstraps the admin idempotently, under the password policy', async () => {
    expect(await ensureAdmin('root@example.com', 'admin password')).toBe('created');
    expect(await ensureAdmin('Root@Example.com', 'admin password')).toBe('exists');
    expect(await UserModel.countDocuments({ email: 'root@example.com', role: UserRole.ADMIN })).toBe(1);
    const replicas = await Promise.all(
      Array.from({ length: 3 }, () => ensureAdmin('boot@example.com', 'boot password')),
    );
    expect(replicas.filter((outcome) => outcome === 'created')).toHaveLength(1);
    expect(await UserModel.countDocuments({ email: 'boot@example.com', role: UserRole.ADMIN })).toBe(1);
    await expect(ensureAdmin('root2@example.com', 'password')).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('alerts when it creates the ADMIN_EMAIL admin while other admins exist (it was deleted, or moved)', async () => {
    const { log, lines } = recordingLogger<{ msg: string; alert?: boolean }>('info');
    await ensureConfiguredAdmin(
      { ADMIN_EMAIL: 'first-admin@example.com', ADMIN_PASSWORD: 'first admin password' },
      log,
    );
    expect(await UserModel.exists({ role: UserRole.ADMIN, email: { $ne: 'first-admin@example.com' } })).toBeTruthy();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        alert: true,
        msg: expect.stringMatching(/created for ADMIN_EMAIL while other admins exist/),
      }),
    ]);
    await ensureConfiguredAdmin(
      { ADMIN_EMAIL: 'first-admin@example.com', ADMIN_PASSWORD: 'first admin password' },
      log,
    );
    expect(lines.at(-1)).toMatchObject({ level: 30, msg: 'admin account ensured' });
  });

  it("starts, logging why, when ADMIN_EMAIL is a customer's and another admin exists (the admin moved address)", async () => {
    const { user } = await auth.register(anonymous, {
      email: 'moved-away@example.com',
      password: 'squatter password',
      firstName: 'Mallory',
      lastName: 'Late',
    });
    expect(await UserModel.exists({ role: UserRole.ADMIN })).toBeTruthy();
    const { log, lines } = recordingLogger<{ msg: string }>('error');
    await ensureConfiguredAdmin({ ADMIN_EMAIL: 'moved-away@example.com', ADMIN_PASSWORD: 'the old password' }, log);
    expect(lines.map((line) => line.msg)).toEqual([
      expect.stringMatching(/moved-away@example.com belongs to an existing account .* another admin exists/),
    ]);
    expect((await UserModel.findById(user.id).lean())?.role).toBe(UserRole.CUSTOMER);
  });
});
