import {
  assertOwnerOrAdmin,
  ConflictError,
  isDuplicateKeyError,
  NotFoundError,
  type RequestContext,
  requirePrincipal,
  type TokenService,
  UnauthenticatedError,
  validate,
} from '@shop/platform';
import { isValidObjectId } from 'mongoose';
import { z } from 'zod';
import { passwordHasher } from './password-hasher.js';
import { UserModel, type UserRecord } from './user.model.js';
import { type User, UserRole } from './user.type.js';

const email = z.string().trim().toLowerCase().pipe(z.string().email().max(254));
const name = z.string().trim().min(1).max(100);
// Upper bound keeps a huge "password" from turning hashing into a denial of service.
const password = z.string().min(8, 'must be at least 8 characters').max(128);
const registerSchema = z.object({ email, password, firstName: name, lastName: name });
const loginSchema = z.object({ email, password: z.string().min(1).max(128) });

type Stored = UserRecord & { _id: unknown };

function toUser(record: Stored): User {
  return {
    id: String(record._id),
    email: record.email,
    firstName: record.firstName,
    lastName: record.lastName,
    role: record.role,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export class UserService {
  constructor(private readonly tokens: TokenService) {}

  async register(_ctx: RequestContext, input: unknown): Promise<{ token: string; user: User }> {
    const data = validate(registerSchema, input);
    const passwordHash = await passwordHasher.hash(data.password);
    try {
      const record = await UserModel.create({ ...data, passwordHash, role: UserRole.CUSTOMER });
      return this.authPayload(toUser(record.toObject()));
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new ConflictError('Email already registered', { field: 'email' });
      throw error;
    }
  }

  async login(_ctx: RequestContext, input: unknown): Promise<{ token: string; user: User }> {
    const data = validate(loginSchema, input);
    const record = await UserModel.findOne({ email: data.email }).select('+passwordHash').lean<Stored>();
    const valid = record
      ? await passwordHasher.verify(record.passwordHash, data.password)
      : await passwordHasher.burnTime(data.password);
    if (!record || !valid) throw new UnauthenticatedError('Invalid email or password');
    return this.authPayload(toUser(record));
  }

  async me(ctx: RequestContext): Promise<User | null> {
    const principal = requirePrincipal(ctx.principal);
    return this.find(principal.id);
  }

  /** A customer reads only their own account; an admin reads any. */
  async findById(ctx: RequestContext, id: string): Promise<User> {
    assertOwnerOrAdmin(ctx.principal, id);
    const user = await this.find(id);
    if (!user) throw new NotFoundError('User', id);
    return user;
  }

  /** Start-up bootstrap of the first admin from ADMIN_EMAIL / ADMIN_PASSWORD; idempotent. */
  async ensureAdmin(adminEmail: string, adminPassword: string): Promise<void> {
    const data = validate(z.object({ email, password }), { email: adminEmail, password: adminPassword });
    const passwordHash = await passwordHasher.hash(data.password);
    await UserModel.updateOne(
      { email: data.email },
      {
        $set: { role: UserRole.ADMIN },
        $setOnInsert: { email: data.email, passwordHash, firstName: 'Admin', lastName: 'Account' },
      },
      { upsert: true },
    );
  }

  private async find(id: string): Promise<User | null> {
    if (!isValidObjectId(id)) return null;
    const record = await UserModel.findById(id).lean<Stored>();
    return record ? toUser(record) : null;
  }

  private async authPayload(user: User): Promise<{ token: string; user: User }> {
    return { token: await this.tokens.sign({ id: user.id, role: user.role }), user };
  }
}
