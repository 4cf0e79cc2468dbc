import { ACCOUNT_DELETED, type Contact, type ContactDirectory } from './contact.directory.js';

/** An in-memory directory for tests: known contacts, and users whose lookup always fails. */
export class TestContactDirectory implements ContactDirectory {
  readonly lookups = new Map<string, number>();
  private readonly contacts = new Map<string, Contact | typeof ACCOUNT_DELETED>();
  /** Lookups still to fail, per user. */
  private readonly failing = new Map<string, number>();

  add(userId: string, contact: Contact): this {
    this.contacts.set(userId, contact);
    return this;
  }

  /** The account was deleted: the users subgraph marks it so. */
  deleted(userId: string): this {
    this.markDeleted(userId);
    return this;
  }

  markDeleted(userId: string): void {
    this.contacts.set(userId, ACCOUNT_DELETED);
  }

  /** The next `times` lookups of this user throw, as when the users subgraph is down. */
  fail(userId: string, times = Number.POSITIVE_INFINITY): this {
    this.failing.set(userId, times);
    return this;
  }

  async contactOf(userId: string): Promise<Contact | typeof ACCOUNT_DELETED | null> {
    this.lookups.set(userId, (this.lookups.get(userId) ?? 0) + 1);
    const failures = this.failing.get(userId) ?? 0;
    if (failures > 0) {
      this.failing.set(userId, failures - 1);
      throw new Error(`users subgraph unavailable for ${userId}`);
    }
    return this.contacts.get(userId) ?? null;
  }
}
