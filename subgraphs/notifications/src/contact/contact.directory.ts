import { AppError, type TokenService } from '@shop/platform/core';
import { callSubgraph } from '@shop/platform/http';
import { LRUCache } from 'lru-cache';

export interface Contact {
  email: string;
  /** E.164; a user without one gets no text messages (they are recorded SKIPPED). */
  phone?: string;
}

/** What a lookup says of an account that was deleted: it keeps no address, and nothing is written about it. */
export const ACCOUNT_DELETED = 'deleted';

/** Where a user's addresses come from; null when there is no such user. */
export interface ContactDirectory {
  contactOf(userId: string): Promise<Contact | typeof ACCOUNT_DELETED | null>;
  /** The account was deleted (`user.deleted`): addresses kept of it are not used again. */
  markDeleted(userId: string): void;
}

const USER = 'query NotificationContact($id: ID!) { user(id: $id) { email phone deletedAt } }';

/**
 * How long a user's addresses are reused: one order's notifications (its confirmation, then its
 * payment receipt moments later) cost one lookup. A changed address is used at most this late.
 */
export const CONTACT_TTL_MS = 30_000;

/**
 * How long a process remembers an account it heard was deleted (a deleted account never comes
 * back): past any send request decided before the deletion and still queued.
 */
export const DELETED_MARK_TTL_MS = 24 * 60 * 60_000;

/** What this process heard of deleted accounts (`user.deleted`, on a queue of its own). */
export interface HeardDeletions {
  /** It heard this account was deleted. */
  heardDeleted(userId: string): boolean;
  /**
   * Since when (ms since the epoch) it remembers every deletion it heard; undefined before it listens.
   * Before then, a deletion may have gone unheard, or its mark expired or made room for others.
   */
  hearingSince(): number | undefined;
}

/** How many addresses and how many deletion marks a process keeps, and its clock (ms since the epoch). */
export interface DirectoryLimits {
  contacts: number;
  deletionMarks: number;
  clock?: () => number;
}

/** The users subgraph, asked as the notifications service itself; found addresses are kept for CONTACT_TTL_MS. */
export class UsersContactDirectory implements ContactDirectory, HeardDeletions {
  // fetch() also joins a lookup in flight: two events of one order decided at once ask once.
  private readonly known: LRUCache<string, Contact | typeof ACCOUNT_DELETED>;
  // Apart from the addresses, which would otherwise push them out. Each mark holds when it expires,
  // so one pushed out can be told from one that had expired.
  private readonly deleted: LRUCache<string, number>;
  private since: number | undefined;
  /** When a mark last made room for another: what was heard before then is not all remembered. */
  private lastEviction = Number.NEGATIVE_INFINITY;
  private readonly clock: () => number;

  constructor(
    private readonly url: string,
    private readonly tokens: Pick<TokenService, 'serviceAuthorization'>,
    limits: DirectoryLimits = { contacts: 10_000, deletionMarks: 100_000 },
  ) {
    this.clock = limits.clock ?? Date.now;
    this.known = new LRUCache({
      max: limits.contacts,
      ttl: CONTACT_TTL_MS,
      fetchMethod: async (userId) => (await this.lookUp(userId)) ?? undefined,
    });
    this.deleted = new LRUCache({
      max: limits.deletionMarks,
      ttl: DELETED_MARK_TTL_MS,
      // A test's clock only: lru-cache's own (monotonic) is the one to run with.
      ...(limits.clock && { perf: { now: limits.clock } }),
      dispose: (expiresAt, _userId, reason) => {
        const now = this.clock();
        if (reason === 'evict' && expiresAt > now) this.lastEviction = now;
      },
    });
  }

  async contactOf(userId: string): Promise<Contact | typeof ACCOUNT_DELETED | null> {
    if (this.deleted.has(userId)) return ACCOUNT_DELETED;
    // A user not found is not kept (undefined): one created a moment later is found.
    const found = (await this.known.fetch(userId)) ?? null;
    // Found deleted before its `user.deleted` came: heard as well as that.
    if (found === ACCOUNT_DELETED) this.markDeleted(userId);
    return found;
  }

  markDeleted(userId: string): void {
    this.deleted.set(userId, this.clock() + DELETED_MARK_TTL_MS);
    this.known.delete(userId);
  }

  /** Whether this process heard the account was deleted (markDeleted); asks nobody. */
  heardDeleted(userId: string): boolean {
    return this.deleted.has(userId);
  }

  hearingSince(now = this.clock()): number | undefined {
    if (this.since === undefined) return undefined;
    return Math.max(this.since, this.lastEviction, now - DELETED_MARK_TTL_MS);
  }

  /** Its queue of deletions is bound (again, after a gap): every deletion from now on is heard. */
  hearing(now = this.clock()): void {
    this.since = now;
  }

  /** Drops every address kept (deletion marks stay): after a gap in which a deletion may have gone unheard. */
  forgetKept(): void {
    this.known.clear();
  }

  private async lookUp(userId: string): Promise<Contact | typeof ACCOUNT_DELETED | null> {
    const authorization = await this.tokens.serviceAuthorization('notifications');
    try {
      const data = await callSubgraph<{
        user: { email: string; phone: string | null; deletedAt: string | null } | null;
      }>(this.url, USER, { id: userId }, { authorization });
      if (!data.user) return null;
      if (data.user.deletedAt) return ACCOUNT_DELETED;
      const { email, phone } = data.user;
      return phone ? { email, phone } : { email };
    } catch (error) {
      if (error instanceof AppError && error.extensions.code === 'NOT_FOUND') return null;
      // Anything else (users down, a timeout) fails the handler, and the event is retried.
      throw error;
    }
  }
}
