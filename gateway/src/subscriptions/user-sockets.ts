import { CloseCode } from 'graphql-ws';
import type { WebSocket } from 'ws';

interface Held {
  socket: WebSocket;
  authorization: string | undefined;
  release: () => void;
}

/**
 * Each user's open sockets, at most `max` per gateway process: a place is taken at
 * `connection_init` and given back at close. When a user has none left, that user's sockets whose
 * token no longer holds (expired, or revoked by a password change or `logoutEverywhere`) are closed
 * with 4403 and their places given back at once. Such a socket can open no subscription (a socket
 * says `connection_init` once), and kept open it would lock the owner out: a thief's sockets
 * outliving the owner's `logoutEverywhere`, say.
 */
export class UserSockets {
  private readonly held = new Map<string, Set<Held>>();

  /** `holds`: false when the token is expired or revoked; true when it holds, or cannot be checked now. */
  constructor(
    private readonly max: number,
    private readonly holds: (authorization: string | undefined) => Promise<boolean>,
  ) {}

  /** Takes a place for `socket`, closing the user's stale sockets when all are taken; false: none left, or `socket` closed meanwhile. */
  async take(userId: string, socket: WebSocket, authorization: string | undefined): Promise<boolean> {
    if (this.count(userId) >= this.max) await this.closeStale(userId);
    // Closed meanwhile: its 'close' has fired, so a place taken now would never be given back.
    if (socket.readyState !== socket.OPEN || this.count(userId) >= this.max) return false;
    const sockets = this.held.get(userId) ?? new Set<Held>();
    this.held.set(userId, sockets);
    const entry: Held = {
      socket,
      authorization,
      release: () => {
        sockets.delete(entry);
        if (sockets.size === 0 && this.held.get(userId) === sockets) this.held.delete(userId);
      },
    };
    sockets.add(entry);
    socket.once('close', entry.release);
    return true;
  }

  private count(userId: string): number {
    return this.held.get(userId)?.size ?? 0;
  }

  private async closeStale(userId: string): Promise<void> {
    const sockets = [...(this.held.get(userId) ?? [])];
    await Promise.all(
      sockets.map(async (entry) => {
        if (await this.holds(entry.authorization)) return;
        // Given back now, not at the close: a peer may take its time over the closing handshake.
        entry.release();
        entry.socket.close(CloseCode.Forbidden, 'Forbidden: token expired or revoked');
      }),
    );
  }
}
