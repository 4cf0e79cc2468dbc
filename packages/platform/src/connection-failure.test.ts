import { describe, expect, it } from 'vitest';
import { isConnectionFailure, isPostgresUnavailableState, namesConnectionFailure } from './connection-failure.js';

const failed = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('connection failures', () => {
  it("takes a socket's failure by Node's code, and no other error", () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']) {
      expect(isConnectionFailure(failed(code))).toBe(true);
    }
    expect(isConnectionFailure(failed('EACCES'))).toBe(false);
    expect(isConnectionFailure(failed('toString'))).toBe(false);
    expect(isConnectionFailure({ code: 'ECONNRESET' })).toBe(false);
  });

  it("reads the same failures in Go's words, and not a refusal that no wait mends", () => {
    expect(namesConnectionFailure('read tcp 10.0.0.2:5432: read: connection reset by peer')).toBe(true);
    expect(namesConnectionFailure('dial tcp 127.0.0.1:5432: connect: connection refused')).toBe(true);
    expect(namesConnectionFailure('dial tcp: lookup postgres on 10.96.0.10:53: no such host')).toBe(true);
    expect(namesConnectionFailure('read tcp 127.0.0.1:5432: i/o timeout')).toBe(true);
    expect(namesConnectionFailure('FATAL: password authentication failed for user "shop"')).toBe(false);
  });

  it("takes PostgreSQL's SQLSTATEs for a server that did not answer (in time), and no other", () => {
    for (const state of ['08000', '08006', '08001', '57014', '57P01', '57P03', '53300', '25006']) {
      expect(isPostgresUnavailableState(state)).toBe(true);
    }
    // A protocol violation, a unique or check constraint, refused credentials, a missing database.
    for (const state of ['08P01', '23505', '23514', '28P01', '3D000', '57P04', '']) {
      expect(isPostgresUnavailableState(state)).toBe(false);
    }
  });
});
