import { userDeleted } from '@shop/events';
import {
  assertOwnerOrAdmin,
  ConflictError,
  NotFoundError,
  requestScoped,
  requirePrincipal,
  requireRole,
  validate,
} from '@shop/platform/core';
import { findAnyOf, isDuplicateKeyError, loadByIds, type OutboxWakeUp, withDocumentLock } from '@shop/platform/mongo';
import { type RequestContext } from '@shop/platform/subgraph';
import DataLoader from 'dataloader';
import { isObjectIdOrHexString, isValidObjectId, Types, type UpdateQuery } from 'mongoose';
import { z } from 'zod';
import { emailChangeNotice } from '../email-verification/email-change.email.js';
import {
  type EmailVerificationSettings,
  emailVerificationLink,
} from '../email-verification/email-verification.link.js';
import { emailConfirmations } from '../email-verification/email-verification.metrics.js';
import { type PasswordChange, passwordChangedEmail } from './password-changed.email.js';
import { passwordHasher } from './password-hasher.js';
import { type registerSchema, updateMeSchema } from './user.input.js';
import { LINK_FIELDS, UserModel, type UserRecord } from './user.model.js';
import { type User, UserRole } from './user.type.js';

const roleSchema = z.enum(UserRole);

type Stored = UserRecord & { _id: unknown };

/** A user with the version its tokens and sessions must carry (internal: never a GraphQL field). */
export type Account = { user: User; tokenVersion: number };
export type Credentials = Account & { passwordHash: string };
const versionOf = (record: Stored) => record.tokenVersion ?? 0;
/** Matches an account still at this token version (absent on older documents: 0). */
const atVersion = (version: number) => (version === 0 ? { $in: [0, null] } : version);

/** Matches an account not erased (`deletedAt` is written by the erasure only). */
const NOT_ERASED = { deletedAt: { $exists: false } };
/** Per request: every `User` reference (and `user(id)`) of one request is read in one query. */
const usersById = requestScoped(
  (_ctx: object) =>
    new DataLoader<string, Stored | null>(
      loadByIds((_id) => UserModel.find({ _id }).lean<Stored[]>(), isObjectIdOrHexString),
    ),
);

function toUser(record: Stored): User {
  return {
    id: String(record._id),
    email: record.email,
    firstName: record.firstName,
    lastName: record.lastName,
    phone: record.phone ?? null,
    emailVerified: record.emailVerifiedAt != null,
    deletedAt: record.deletedAt ?? null,
    pendingEmail:
      record.pendingEmail && (record.emailVerificationExpiresAt ?? 0) > new Date() ? record.pendingEmail : null,
    role: record.role,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export interface UserServiceOptions {
  /** Every refresh session of the user ends (the token version was just bumped). */
  endSessions: (userId: string, reason: string) => Promise<void>;
  /** The page where one asks for a password reset link, named in the email a password change sends. */
  passwordResetUrl: string;
  /** The confirmation links a new account is emailed. */
  emailVerification: EmailVerificationSettings;
  /** The relay's wake-up (main.ts); without it (tests), emails wait in their documents for a sweep. */
  outbox?: OutboxWakeUp;
}

/** Accounts. Credentials and sessions are the AuthService's; it calls the internal methods below. */
export class UserService {
  constructor(private readonly options: UserServiceOptions) {}

  async me(ctx: RequestContext): Promise<User | null> {
    const principal = requirePrincipal(ctx.principal);
    return this.find(principal.id);
  }

  /** A customer reads only their own account; an admin (or a service) any. Batched per request. */
  async findById(ctx: RequestContext, id: string): Promise<User> {
    assertOwnerOrAdmin(ctx.principal, id, 'User', id);
    const record = await usersById(ctx).load(id);
    if (!record) throw new NotFoundError('User', id);
    return toUser(record);
  }

  /** The caller's own names and phone; nothing else about an account is the customer's to change. */
  async updateMe(ctx: RequestContext, input: unknown): Promise<User> {
    const principal = requirePrincipal(ctx.principal);
    const { phone, ...names } = validate(updateMeSchema, input);
    const set: Record<string, string> = Object.fromEntries(
      Object.entries({ ...names, phone }).filter((entry): entry is [string, string] => Boolean(entry[1])),
    );
    const change: UpdateQuery<UserRecord> = phone === '' ? { $set: set, $unset: { phone: 1 } } : { $set: set };
    if (!isValidObjectId(principal.id)) throw new NotFoundError('User', principal.id);
    // Never into an erased account: its token may still pass for a few seconds (the gateway's cache
    // of token versions), and the names and phone its deletion erased would be back for good.
    const user = await this.update(principal.id, change, NOT_ERASED);
    if (!user) throw new NotFoundError('User', principal.id);
    return user;
  }

  /** Admins only; an admin cannot demote themselves, so the last admin cannot vanish by mistake. */
  async setRole(ctx: RequestContext, id: string, role: unknown): Promise<User> {
    const principal = requireRole(ctx.principal, 'ADMIN');
    const newRole = validate(z.object({ role: roleSchema }), { role }).role;
    // An ObjectId's hex reads in either case: the admin's own id in capitals is still theirs.
    if (principal.id === id.toLowerCase()) {
      throw new ConflictError('Admins cannot change their own role', { field: 'id' });
    }
    if (!isValidObjectId(id)) throw new NotFoundError('User', id);
    // One update: no token issued under the old role is valid once the new role is visible.
    const user = await this.update(id, { $set: { role: newRole }, $inc: { tokenVersion: 1 } });
    if (!user) throw new NotFoundError('User', id);
    await this.options.endSessions(id, 'role changed');
    ctx.log.info({ userId: id, role: newRole, by: principal.id }, 'user role changed');
    return user;
  }

  /**
   * Revokes every access token and session of an account at once (lost device, suspected theft):
   * the owner for themselves (`userId` omitted or their own) or an admin for anyone.
   */
  async logoutEverywhere(ctx: RequestContext, userId: string | null | undefined): Promise<boolean> {
    const principal = requirePrincipal(ctx.principal);
    const id = userId ?? principal.id;
    assertOwnerOrAdmin(principal, id, 'User', id);
    if (!(await this.bumpTokenVersion(id))) throw new NotFoundError('User', id);
    await this.options.endSessions(id, 'logout everywhere');
    ctx.log.info({ userId: id, by: principal.id }, 'logged out everywhere');
    return true;
  }

  /** Service only (the revocation check): each existing account's current token version. */
  async tokenVersions(ctx: RequestContext, ids: readonly string[]): Promise<{ userId: string; version: number }[]> {
    requireRole(ctx.principal, 'SERVICE');
    validate(z.object({ userIds: z.array(z.string()).max(1_000) }), { userIds: ids });
    return [...(await this.currentTokenVersions(ids))].map(([userId, version]) => ({ userId, version }));
  }

  /** Internal (this subgraph's own revocation check): userId → token version of each existing account. */
  async currentTokenVersions(ids: readonly string[]): Promise<Map<string, number>> {
    const valid = [...new Set(ids.filter((id) => isObjectIdOrHexString(id)).map((id) => id.toLowerCase()))];
    if (valid.length === 0) return new Map();
    const records = await findAnyOf(valid, (_id) => UserModel.find({ _id }, { tokenVersion: 1 }).lean<Stored[]>());
    return new Map(records.map((record) => [String(record._id), versionOf(record)]));
  }

  /**
   * Internal (AuthService, PasswordResetService): a new password hash, revoking every token issued
   * before it. Only while the account is at the token version it was read with: of two changes at
   * once (two reset links), the second finds the version bumped and changes nothing (null). The
   * email that tells the owner is written in the same update (the account's outbox), so no password
   * changes untold, even if the process dies right after.
   */
  async setPasswordHash(account: Account, passwordHash: string, how: PasswordChange): Promise<Account | null> {
    const email = passwordChangedEmail(account.user, how, new Date(), this.options.passwordResetUrl);
    // At the address it was read with too: a reset link is only good for the address it was mailed to.
    const record = await this.writeAndPublish(
      account.user.id,
      { $set: { passwordHash }, $inc: { tokenVersion: 1 }, $push: { pendingEvents: email } },
      { tokenVersion: atVersion(account.tokenVersion), email: account.user.email },
    );
    if (!record) return null;
    await this.options.endSessions(account.user.id, 'password changed');
    return { user: toUser(record), tokenVersion: versionOf(record) };
  }

  /**
   * Internal (AccountDeletionService): erases what the account says about its owner (address,
   * names, phone, password, links, emails to them not sent yet) in one update at the token version
   * it was read with, which revokes every token; every session ends. The document stays, anonymous,
   * because orders and payments name it; its address is free to register again. Null when that
   * version has passed.
   */
  async eraseAccount(account: Account, unusablePasswordHash: string): Promise<User | null> {
    const id = account.user.id;
    const record = await this.writeAtVersion(account, {
      $set: {
        email: `deleted-${id}@deleted.invalid`,
        firstName: 'Deleted',
        lastName: 'Account',
        passwordHash: unusablePasswordHash,
        deletedAt: new Date(),
        // Emails to the owner not sent yet (a confirmation link, a notice) name them, and have no reader
        // now; `user.deleted` tells the services that keep what the account said about its owner.
        pendingEvents: [userDeleted.create({ userId: id })],
      },
      $unset: { phone: 1, emailVerifiedAt: 1, ...LINK_FIELDS },
      $inc: { tokenVersion: 1 },
    });
    if (!record) return null;
    await this.options.endSessions(id, 'account deleted');
    return toUser(record);
  }

  /**
   * Internal (EmailVerificationService): a new confirmation link for the account's address, its
   * email in the account's outbox in the same update; the link sent before (a change's too) stops working.
   * False, and nothing written, when the account was erased since it was read.
   */
  async renewEmailVerification({ user }: Account): Promise<boolean> {
    const link = emailVerificationLink(user, this.options.emailVerification);
    // Read before an erasure that came meanwhile, `user` would put the address back in the account.
    const written = await this.writeAndPublish(
      user.id,
      {
        $set: link.fields,
        $unset: { pendingEmail: 1, pendingEmailTokenVersion: 1 },
        $push: { pendingEvents: link.email },
      },
      NOT_ERASED,
    );
    if (!written) return false;
    emailConfirmations.inc({ outcome: 'sent' });
    return true;
  }

  /** Internal (EmailVerificationService): CONFLICT on `newEmail` when an account has that address. */
  async assertEmailUnregistered(email: string): Promise<void> {
    if (await UserModel.exists({ email })) throw new ConflictError('Email already registered', { field: 'newEmail' });
  }

  /**
   * Internal (EmailVerificationService): a link to `newEmail` that makes it the account's address
   * once opened, and a notice to the current address, in one update at the token version the
   * account was read with; the link sent before stops working. False when that version has passed.
   * The caller has refused a registered `newEmail` (assertEmailUnregistered); one registered
   * later is refused when the link is opened (confirmEmail).
   */
  async requestEmailChange(account: Account, newEmail: string): Promise<boolean> {
    const { user } = account;
    const now = new Date();
    const link = emailVerificationLink({ ...user, email: newEmail }, this.options.emailVerification, now, 'change');
    const notice = emailChangeNotice(user, newEmail, 'requested', now, this.options.passwordResetUrl);
    const written = await this.writeAtVersion(account, {
      $set: { ...link.fields, pendingEmail: newEmail, pendingEmailTokenVersion: account.tokenVersion },
      $push: { pendingEvents: { $each: [link.email, notice] } },
    });
    if (!written) return false;
    emailConfirmations.inc({ outcome: 'sent' });
    return true;
  }

  /**
   * Internal (EmailVerificationService): confirms the address the account's current link was sent
   * to, once, before the link expires; null when no such link works. A change's link makes that
   * address the account's (`changedFrom`: the one left, which is told), while the account is at the
   * token version the change was asked at; an address registered meanwhile is CONFLICT.
   */
  async confirmEmail(hash: string, now = new Date()): Promise<{ user: User; changedFrom?: string } | null> {
    const record = await UserModel.findOne({ emailVerificationHash: hash }).lean<Stored>();
    if (!record?.emailVerificationExpiresAt || record.emailVerificationExpiresAt <= now) return null;
    const id = String(record._id);
    if (!record.pendingEmail) {
      const user = await this.update(
        id,
        { $set: { emailVerifiedAt: now }, $unset: LINK_FIELDS },
        { emailVerificationHash: hash },
      );
      return user && { user };
    }
    const notice = emailChangeNotice(
      toUser(record),
      record.pendingEmail,
      'changed',
      now,
      this.options.passwordResetUrl,
    );
    try {
      const changed = await this.writeAndPublish(
        id,
        {
          $set: { email: record.pendingEmail, emailVerifiedAt: now },
          $unset: LINK_FIELDS,
          $push: { pendingEvents: notice },
        },
        { emailVerificationHash: hash, tokenVersion: atVersion(record.pendingEmailTokenVersion ?? 0) },
      );
      return changed && { user: toUser(changed), changedFrom: record.email };
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new ConflictError('Email already registered', { field: 'token' });
      throw error;
    }
  }

  /**
   * Internal (AuthService): a new customer, emailed a link to confirm the address, which is written
   * in the same insert (the account's outbox). The unique email index settles concurrent registrations.
   */
  async createCustomer(data: z.infer<typeof registerSchema>): Promise<Account> {
    const passwordHash = await passwordHasher.hash(data.password);
    const _id = new Types.ObjectId();
    const link = emailVerificationLink(
      { id: String(_id), email: data.email, firstName: data.firstName },
      this.options.emailVerification,
    );
    try {
      const created = await UserModel.create({
        _id,
        ...data,
        passwordHash,
        role: UserRole.CUSTOMER,
        ...link.fields,
        pendingEvents: [link.email],
      });
      const record = created.toObject();
      this.options.outbox?.kick({ model: UserModel, id: _id, pendingEvents: record.pendingEvents });
      emailConfirmations.inc({ outcome: 'sent' });
      return { user: toUser(record), tokenVersion: versionOf(record) };
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw new ConflictError('Email already registered', { field: 'email' });
      }
      throw error;
    }
  }

  /** Internal (AuthService): the only reads of a password hash, which never leaves that service. */
  async findCredentials(email: string): Promise<Credentials | null> {
    const record = await UserModel.findOne({ email, ...NOT_ERASED })
      .select('+passwordHash')
      .lean<Stored>();
    return record ? { user: toUser(record), tokenVersion: versionOf(record), passwordHash: record.passwordHash } : null;
  }

  /** Internal (PasswordResetService): the account of an email, without its password hash. */
  async findAccountByEmail(email: string): Promise<Account | null> {
    const record = await UserModel.findOne({ email, ...NOT_ERASED }).lean<Stored>();
    return record ? { user: toUser(record), tokenVersion: versionOf(record) } : null;
  }

  async findCredentialsById(id: string): Promise<Credentials | null> {
    if (!isValidObjectId(id)) return null;
    const record = await UserModel.findById(id).select('+passwordHash').lean<Stored>();
    return record ? { user: toUser(record), tokenVersion: versionOf(record), passwordHash: record.passwordHash } : null;
  }

  private async bumpTokenVersion(id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const { matchedCount } = await withDocumentLock('users', id, () =>
      UserModel.updateOne({ _id: id }, { $inc: { tokenVersion: 1 } }),
    );
    return matchedCount === 1;
  }

  /**
   * Writes `change` while the account is at the token version it was read with (of two changes at
   * once, the second finds it bumped), then publishes the emails it added; null when it has passed.
   */
  private writeAtVersion({ user, tokenVersion }: Account, change: UpdateQuery<UserRecord>): Promise<Stored | null> {
    return this.writeAndPublish(user.id, change, { tokenVersion: atVersion(tokenVersion) });
  }

  /** A write that added emails to the account's outbox: the relay publishes them now. */
  private async writeAndPublish(
    id: string,
    change: UpdateQuery<UserRecord>,
    condition: Record<string, unknown> = {},
  ): Promise<Stored | null> {
    const record = await this.write(id, change, condition);
    if (record) this.options.outbox?.kick({ model: UserModel, id: record._id, pendingEvents: record.pendingEvents });
    return record;
  }

  private async update(
    id: string,
    change: UpdateQuery<UserRecord>,
    condition: Record<string, unknown> = {},
  ): Promise<User | null> {
    const record = await this.write(id, change, condition);
    return record && toUser(record);
  }

  /**
   * One conditional write, then one read of the account as stored; null when nothing matched.
   * updateOne, then a read: FerretDB 1.x cannot project in findAndModify (passwordHash is select: false).
   */
  private async write(
    id: string,
    change: UpdateQuery<UserRecord>,
    condition: Record<string, unknown>,
  ): Promise<Stored | null> {
    if (!isValidObjectId(id)) return null;
    const { matchedCount } = await withDocumentLock('users', id, () =>
      UserModel.updateOne({ _id: id, ...condition }, change),
    );
    return matchedCount === 1 ? UserModel.findById(id).lean<Stored>() : null;
  }

  find(id: string): Promise<User | null> {
    return this.findAccount(id).then((account) => account?.user ?? null);
  }

  /** Internal (AuthService): the current account behind a session, or null when it is gone. */
  async findAccount(id: string): Promise<Account | null> {
    if (!isValidObjectId(id)) return null;
    const record = await UserModel.findById(id).lean<Stored>();
    return record ? { user: toUser(record), tokenVersion: versionOf(record) } : null;
  }
}
