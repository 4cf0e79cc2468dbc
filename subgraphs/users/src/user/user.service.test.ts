import { createTokenService } from '@shop/platform';
import { connectTestMongo, testContext } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserModel } from './user.model.js';
import { UserService } from './user.service.js';
import { UserRole } from './user.type.js';

const tokens = createTokenService({
  JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256',
  JWT_ISSUER: 'shop',
  JWT_AUDIENCE: 'shop-api',
  JWT_TTL_SECONDS: 600,
});
const users = new UserService(tokens);
const anonymous = testContext(null, { users });
let db: { drop: () => Promise<void> };

beforeAll(async () => {
  db = await connectTestMongo('users');
});
afterAll(() => db.drop());

const input = { email: ' Ada@Example.com ', password: 'correct horse', firstName: 'Ada', lastName: 'Lovelace' };

describe('UserService', () => {
  it('registers a customer with a normalized email and a verifiable token', async () => {
    const { token, user } = await users.register(anonymous, input);
    expect(user).toMatchObject({ email: 'ada@example.com', role: 'CUSTOMER' });
    expect(await tokens.verify(token)).toEqual({ id: user.id, role: 'CUSTOMER' });
    const stored = await UserModel.findById(user.id).select('+passwordHash').lean();
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('refuses a second account for the same email with CONFLICT', async () => {
    await expect(users.register(anonymous, { ...input, email: 'ADA@example.com' })).rejects.toMatchObject({
      extensions: { code: 'CONFLICT' },
    });
  });

  it('rejects invalid input with BAD_USER_INPUT naming the fields', async () => {
    const error = await users.register(anonymous, { ...input, email: 'nope', password: 'short' }).catch((e) => e);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.fields.map((f: { field: string }) => f.field)).toEqual(['email', 'password']);
  });

  it('logs in with the right password only, with one message for unknown email and wrong password', async () => {
    const ok = await users.login(anonymous, { email: 'ada@example.com', password: 'correct horse' });
    expect(ok.user.email).toBe('ada@example.com');
    const wrong = await users.login(anonymous, { email: 'ada@example.com', password: 'wrong horse' }).catch((e) => e);
    const unknown = await users.login(anonymous, { email: 'who@example.com', password: 'wrong horse' }).catch((e) => e);
    expect(wrong.extensions.code).toBe('UNAUTHENTICATED');
    expect(unknown.message).toBe(wrong.message);
  });

  it('lets a customer read only their own account, an admin any', async () => {
    const { user: ada } = await users.login(anonymous, { email: 'ada@example.com', password: 'correct horse' });
    const { user: bob } = await users.register(anonymous, { ...input, email: 'bob@example.com' });
    const asAda = testContext({ id: ada.id, role: 'CUSTOMER' }, { users });
    expect((await users.findById(asAda, ada.id)).email).toBe('ada@example.com');
    await expect(users.findById(asAda, bob.id)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    const asAdmin = testContext({ id: 'admin', role: 'ADMIN' }, { users });
    expect((await users.findById(asAdmin, bob.id)).email).toBe('bob@example.com');
    await expect(users.findById(asAdmin, 'not-an-id')).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });

  it('bootstraps the admin idempotently', async () => {
    await users.ensureAdmin('root@example.com', 'admin password');
    await users.ensureAdmin('root@example.com', 'admin password');
    expect(await UserModel.countDocuments({ email: 'root@example.com', role: UserRole.ADMIN })).toBe(1);
  });
});
