import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { pagePolicy } from '../http/security-headers.js';

const require = createRequire(import.meta.url);

/** The page's files: beside this module in the source tree, under the package's src/ once bundled to dist/. */
const STATIC_DIR = [new URL('./static', import.meta.url), new URL('../src/tracker/static', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(join(dir, 'index.html')));

/** graphql-ws's browser build: client.js and the one chunk it imports (its hashed name changes per release). */
const GRAPHQL_WS_DIR = dirname(require.resolve('graphql-ws/package.json'));
const GRAPHQL_WS_FILE = /^(client|common-[\w-]+)\.js$/;

/**
 * The page's policy, stricter than a page's usual one: no string-to-DOM sinks either (Trusted Types).
 * Forms are never submitted by the browser (the module sends them), so a failed script load cannot
 * leak a password into a URL. The other headers are every answer's (security-headers.ts).
 */
const trackerPolicy = pagePolicy({ requireTrustedTypesFor: ["'script'"], trustedTypes: ["'none'"] });

/**
 * `/tracker`: a static page that signs in (or sets a new password from an emailed reset link, at
 * `/reset-password`; or confirms an email address from its emailed link, at `/verify-email`), lists
 * the caller's orders, orders from the catalogue,
 * pays and watches each order's status live over graphql-ws. Public files only: every call it
 * makes goes through the public GraphQL API with the user's own token.
 */
export function useTracker(app: Express): void {
  if (!STATIC_DIR) throw new Error('order tracker files not found (gateway/src/tracker/static)');
  const dir = STATIC_DIR;
  app.use(['/tracker', '/reset-password', '/verify-email'], trackerPolicy);
  // The same page: at /reset-password it opens on the new password form of an emailed link
  // (#token=…), at /verify-email it confirms the address of one.
  app.get(['/tracker', '/tracker/', '/reset-password', '/verify-email'], (_req, res) => {
    res.set('cache-control', 'no-cache').sendFile(join(dir, 'index.html'));
  });
  app.get('/tracker/vendor/graphql-ws/:file', (req, res, next) => {
    if (!GRAPHQL_WS_FILE.test(req.params.file)) return next();
    // `dotfiles`: pnpm installs packages under node_modules/.pnpm, which `send` would otherwise hide.
    res.sendFile(join(GRAPHQL_WS_DIR, 'dist', req.params.file), { maxAge: '1d', dotfiles: 'allow' }, (error) => {
      if (error) next();
    });
  });
  app.use('/tracker', express.static(dir, { index: false }));
}
