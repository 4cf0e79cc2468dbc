import { AppError, type TokenService } from '@shop/platform/core';
import { callSubgraph } from '@shop/platform/http';

export interface Contact {
  email: string;
  /** E.164; a user without one gets no text messages (they are recorded SKIPPED). */
  phone?: string;
}

/** Where a user's addresses come from; null when there is no such user. */
export interface ContactDirectory {
  contactOf(userId: string): Promise<Contact | null>;
}

const USER = 'query NotificationContact($id: ID!) { user(id: $id) { email phone } }';

/** The users subgraph, asked as the notifications service itself. */
export class UsersContactDirectory implements ContactDirectory {
  constructor(
    private readonly url: string,
    private readonly tokens: Pick<TokenService, 'serviceAuthorization'>,
  ) {}

  async contactOf(userId: string): Promise<Contact | null> {
    const authorization = await this.tokens.serviceAuthorization('notifications');
    try {
      const data = await callSubgraph<{ user: { email: string; phone: string | null } | null }>(
        this.url,
        USER,
        { id: userId },
        { authorization },
      );
      if (!data.user) return null;
      const { email, phone } = data.user;
      return phone ? { email, phone } : { email };
    } catch (error) {
      if (error instanceof AppError && error.extensions.code === 'NOT_FOUND') return null;
      // Anything else (users down, a timeout) fails the handler, and the event is retried.
      throw error;
    }
  }
}
