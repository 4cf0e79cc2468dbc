import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router } from 'express';
import { pagePolicy } from '../http/security-headers.js';

const require = createRequire(import.meta.url);
const swaggerUiDir = dirname(require.resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Shop REST API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>`;

// A script file rather than inline, as the page's Content-Security-Policy requires. No validator
// badge: Swagger UI would send the document's address to validator.swagger.io for it.
const init = (specUrl: string) =>
  `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null });`;

// Swagger UI's stylesheet draws its icons from data: URLs.
const docsPolicy = pagePolicy({ imgSrc: ["'self'", 'data:'] });

/** Swagger UI for the shims, from the swagger-ui-dist package: no CDN, works offline. */
export function apiDocs(specUrl: string): Router {
  const router = Router();
  router.use(docsPolicy);
  router.get('/', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/init.js', (_req, res) => {
    res.type('application/javascript').send(init(specUrl));
  });
  router.use('/assets', express.static(swaggerUiDir, { index: false }));
  return router;
}
