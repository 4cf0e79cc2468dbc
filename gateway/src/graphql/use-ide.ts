import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Express } from 'express';
import { pagePolicy } from '../http/security-headers.js';

const require = createRequire(import.meta.url);
/** A file of an installed package, found from its package.json (react's `exports` hide umd/). */
const packageFile = (name: string, file: string) => join(dirname(require.resolve(`${name}/package.json`)), file);

/**
 * GraphiQL's browser bundle and the React it runs on, straight from node_modules: no CDN. Found when
 * the IDE is mounted, never in production, whose image holds none of these packages.
 */
const ideAssets = (): Record<string, string> => ({
  'react.js': packageFile('react', 'umd/react.production.min.js'),
  'react-dom.js': packageFile('react-dom', 'umd/react-dom.production.min.js'),
  'graphiql.js': packageFile('graphiql', 'graphiql.min.js'),
  'graphiql.css': packageFile('graphiql', 'graphiql.min.css'),
});

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Shop GraphQL</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/ide/graphiql.css">
  <link rel="stylesheet" href="/ide/page.css">
</head>
<body>
  <div id="graphiql">Loading…</div>
  <script src="/ide/react.js"></script>
  <script src="/ide/react-dom.js"></script>
  <script src="/ide/graphiql.js"></script>
  <script src="/ide/init.js"></script>
</body>
</html>`;

// Files rather than inline, as the page's Content-Security-Policy requires.
const PAGE_CSS = 'body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }';

// GraphiQL's stylesheet embeds its fonts and icons as data: URLs.
const idePolicy = pagePolicy({ imgSrc: ["'self'", 'data:'], fontSrc: ["'self'", 'data:'] });

// Headers typed in the IDE (e.g. {"authorization": "Bearer …"}) also go as graphql-ws connectionParams.
const INIT = `const ws = location.origin.replace(/^http/, 'ws') + '/graphql';
const fetcher = GraphiQL.createFetcher({ url: '/graphql', subscriptionUrl: ws });
ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, { fetcher }));`;

/**
 * GET /graphql from a browser (asks for HTML, sends no query) opens GraphiQL; everything else
 * goes on to the GraphQL endpoint. Mounted only outside production, like introspection.
 */
export function useIde(app: Express): void {
  const assets = ideAssets();
  app.get('/graphql', (req, res, next) => {
    if (req.query.query !== undefined || req.accepts(['application/json', 'text/html']) !== 'text/html') {
      return next();
    }
    idePolicy(req, res, () => res.type('html').send(PAGE));
  });
  app.use('/ide', idePolicy);
  app.get('/ide/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  app.get('/ide/page.css', (_req, res) => {
    res.type('text/css').send(PAGE_CSS);
  });
  app.get('/ide/:asset', (req, res, next) => {
    const file = assets[req.params.asset];
    if (!file) return next();
    // `dotfiles`: pnpm installs packages under node_modules/.pnpm, which `send` would otherwise hide.
    res.sendFile(file, { maxAge: '1d', dotfiles: 'allow' });
  });
}
