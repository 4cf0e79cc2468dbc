import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Response } from 'express';

const require = createRequire(import.meta.url);

/** The page's files: beside this module in the source tree, under the package's src/ once bundled to dist/. */
const STATIC_DIR = [new URL('./static', import.meta.url), new URL('../src/tracker/static', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(join(dir, 'index.html')));

/** graphql-ws's browser build: client.js and the one chunk it imports (its hashed name changes per release). */
const GRAPHQL_WS_DIR = dirname(require.resolve('graphql-ws/package.json'));
const GRAPHQL_WS_FILE = /^(client|common-[\w-]+)\.js$/;

/**
 * Scripts and styles only from this origin, no inline code, no string-to-DOM sinks (Trusted Types),
 * network only back to this origin (HTTP and WebSocket), never framed, forms never submitted by the
 * browser (the module sends them), so a failed script load cannot leak a password into a URL.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

function securityHeaders(res: Response): void {
  res.set({
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  });
}

/**
 * `/tracker`: a static page that signs in, lists the caller's orders, orders from the catalogue,
 * pays and watches each order's status live over graphql-ws. Public files only: every call it
 * makes goes through the public GraphQL API with the user's own token.
 */
export function useTracker(app: Express): void {
  if (!STATIC_DIR) throw new Error('order tracker files not found (gateway/src/tracker/static)');
  const dir = STATIC_DIR;
  app.get(['/tracker', '/tracker/'], (_req, res) => {
    securityHeaders(res);
    res.set('cache-control', 'no-cache').sendFile(join(dir, 'index.html'));
  });
  app.get('/tracker/vendor/graphql-ws/:file', (req, res, next) => {
    if (!GRAPHQL_WS_FILE.test(req.params.file)) return next();
    securityHeaders(res);
    // `dotfiles`: pnpm installs packages under node_modules/.pnpm, which `send` would otherwise hide.
    res.sendFile(join(GRAPHQL_WS_DIR, 'dist', req.params.file), { maxAge: '1d', dotfiles: 'allow' }, (error) => {
      if (error) next();
    });
  });
  app.use(
    '/tracker',
    (_req, res, next) => {
      securityHeaders(res);
      next();
    },
    express.static(dir, { index: false }),
  );
}
