// `node --import ./module-recorder.mjs main.js`: on exit, writes every module the process loaded
// (resolved ES module URLs, plus CommonJS files from require's cache) to MODULE_LIST_FILE as JSON.
import { writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const loaded = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => loaded.add(url));
port1.unref();
register('./module-recorder.hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });

const cjsCache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  for (const file of Object.keys(cjsCache)) loaded.add(pathToFileURL(file).href);
  const file = process.env.MODULE_LIST_FILE;
  if (file) writeFileSync(file, JSON.stringify([...loaded].filter((url) => !url.startsWith('node:')).sort()));
});
