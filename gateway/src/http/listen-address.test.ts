import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { gatewayOverRecordingSubgraph } from '../gateway.test-fixture.js';

// Linux routes all of 127.0.0.0/8 to the loopback interface: a port bound to every address answers
// on 127.0.0.2, one bound to 127.0.0.1 alone refuses it.
const reachable = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('the address the gateway listens on', () => {
  const development = gatewayOverRecordingSubgraph({ NODE_ENV: 'development' });
  const production = gatewayOverRecordingSubgraph({ NODE_ENV: 'production' });

  it('is the loopback one only in development, whose JWT secret is public; every address otherwise', async () => {
    const portOf = (base: string) => Number(new URL(base).port);
    expect(await reachable('127.0.0.1', portOf(development.base))).toBe(true);
    expect(await reachable('127.0.0.2', portOf(development.base))).toBe(false);
    expect(await reachable('127.0.0.2', portOf(production.base))).toBe(true);
  });
});
