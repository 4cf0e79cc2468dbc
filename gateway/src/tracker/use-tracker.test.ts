import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityHeaders } from '../http/security-headers.js';
import { useTracker } from './use-tracker.js';

let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  // Every answer's headers (nosniff among them) come from the gateway's own middleware.
  app.use(securityHeaders());
  useTracker(app);
  server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('order tracker files', () => {
  it('serves the page, its stylesheet and module under a strict Content-Security-Policy', async () => {
    for (const [path, type] of [
      ['/tracker', 'text/html'],
      ['/tracker/', 'text/html'],
      ['/reset-password', 'text/html'],
      ['/tracker/tracker.css', 'text/css'],
      ['/tracker/tracker.js', 'text/javascript'],
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toContain(type);
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy, path).toContain("default-src 'none'");
      expect(policy, path).toContain("script-src 'self'");
      expect(policy, path).not.toContain('unsafe-inline');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('serves the graphql-ws browser client with every module it imports, and nothing else of the package', async () => {
    const client = await fetch(`${base}/tracker/vendor/graphql-ws/client.js`);
    expect(client.status).toBe(200);
    expect(client.headers.get('content-type')).toContain('text/javascript');
    const source = await client.text();
    expect(source).toContain('function createClient');
    const imports = [...source.matchAll(/from '\.\/([^']+)'/g)].map((match) => match[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const file of imports) {
      expect((await fetch(`${base}/tracker/vendor/graphql-ws/${file}`)).status, file).toBe(200);
    }
    for (const path of ['index.js', 'client.cjs', '..%2Fpackage.json', 'common-missing.js']) {
      expect((await fetch(`${base}/tracker/vendor/graphql-ws/${path}`)).status, path).toBe(404);
    }
  });

  it('answers 404 for files that are not part of the page', async () => {
    expect((await fetch(`${base}/tracker/use-tracker.ts`)).status).toBe(404);
    expect((await fetch(`${base}/tracker/..%2Fuse-tracker.ts`)).status).toBe(404);
  });
});
