// `pnpm persisted:manifest`: the tracker page's GraphQL operations as an Apollo persisted query
// manifest, as a client build makes one (id = SHA-256 of the exact text the page sends). The
// gateway loads it with PERSISTED_DOCUMENTS_PATH; with PERSISTED_DOCUMENTS_ONLY=true nothing else runs.
// `--check` fails when the committed manifest is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildManifest } from '../gateway/src/graphql/persisted-documents.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TRACKER = resolve(root, 'gateway/src/tracker/static/tracker.js');
export const TRACKER_MANIFEST = resolve(root, 'gateway/src/tracker/persisted-documents.json');

/** Top-level `const NAME = '…'` / `` `…` `` strings of the page, `${NAME}` filled in, that are GraphQL operations. */
export async function trackerDocuments(): Promise<string[]> {
  const source = await readFile(TRACKER, 'utf8');
  const constants = new Map<string, string>();
  for (const [, name, , text] of source.matchAll(/^const ([A-Z_]+) = (['`])([\s\S]*?)\2;$/gm)) {
    constants.set(
      name as string,
      (text as string).replace(/\$\{([A-Z_]+)\}/g, (_, ref: string) => constants.get(ref) ?? `\${${ref}}`),
    );
  }
  return [...constants.values()].filter((text) => /^(query|mutation|subscription)\s/.test(text));
}

export async function trackerManifestJson(): Promise<string> {
  return `${JSON.stringify(buildManifest(await trackerDocuments()), null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = await trackerManifestJson();
  if (process.argv.includes('--check')) {
    if ((await readFile(TRACKER_MANIFEST, 'utf8').catch(() => '')) !== json) {
      console.error(`${TRACKER_MANIFEST} is stale: run pnpm persisted:manifest`);
      process.exit(1);
    }
  } else {
    await writeFile(TRACKER_MANIFEST, json);
    console.log(`wrote ${TRACKER_MANIFEST}`);
  }
}
