// What `docker build .` sends (the build context after .dockerignore), for the files on disk and
// for the local secrets a developer may keep beside the code: none of those may reach an image
// layer. CI has no Docker engine, so .dockerignore is applied here with Docker's own rules
// (patterns relative to the context, `*` within a path segment, `**` across, `!` re-includes,
// the last matching line wins, a matched directory takes its whole tree).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function toRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '*' && pattern[i + 1] === '*') {
      source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}(?:/.*)?$`);
}

const rules = readFileSync(resolve(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => {
    const include = line.startsWith('!');
    const pattern = (include ? line.slice(1) : line).replace(/^\/+/, '');
    return { include, matcher: toRegExp(pattern) };
  });

/** Docker's decision for one path of the context. */
function inContext(path: string): boolean {
  let excluded = false;
  for (const rule of rules) if (rule.matcher.test(path)) excluded = !rule.include;
  return !excluded;
}

function filesOnDisk(dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    const rel = relative(root, path);
    if (entry.isDirectory()) return inContext(rel) ? filesOnDisk(path) : [];
    return [rel];
  });
}

const SECRET = /(^|\/)(\.env(\..*)?|.*\.(pem|key|p12|pfx)|id_rsa.*|id_ed25519.*)$|(^|\/)secrets\//;

describe('docker build context', () => {
  it('keeps local environment files, keys and state out, and .env.example in', () => {
    const localSecrets = [
      '.env',
      '.env.local',
      '.env.production',
      'gateway/.env',
      'subgraphs/users/.env.development.local',
      'deploy/tls/server.key',
      'deploy/tls/server.pem',
      'secrets/postgres_password',
      'id_ed25519',
      '.infra/postgres/data/PG_VERSION',
      '.git/config',
      'node_modules/pg/package.json',
      'gateway/dist/main.js',
    ];
    expect(localSecrets.filter(inContext)).toEqual([]);
    expect(inContext('.env.example')).toBe(true);
    expect(inContext('prisma/migrations/migration_lock.toml')).toBe(true);
    expect(inContext('subgraphs/users/src/main.ts')).toBe(true);
  });

  it('sends no secret-looking file that is on this disk now', () => {
    const context = filesOnDisk();
    expect(context).toContain('Dockerfile');
    expect(context.filter((path) => SECRET.test(path) && path !== '.env.example')).toEqual([]);
  });

  it('builds the migration image from its own files, not from the workspace with the source tree', () => {
    const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
    const migrate = /^FROM (\S+) AS migrate$/m.exec(dockerfile);
    expect(migrate?.[1]).toMatch(/^\$\{NODE_IMAGE\}$/);
    const stage = dockerfile.slice(dockerfile.indexOf('AS migrate\n'));
    expect(stage.slice(0, stage.indexOf('\nFROM'))).toMatch(
      /COPY --from=migrate-files --chown=node:node \/migrate \/migrate/,
    );
  });

  // deploy:smoke removes the untagged images of this project by that label; an image built
  // without it (every one after a base stage's FROM inherits it) would pile up on the disk.
  it('labels every stage built on a base image shop.image, before its first layer', () => {
    const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
    const baseStages = [...dockerfile.matchAll(/^FROM \$\{NODE_IMAGE\} AS (\S+)\n(.*)$/gm)];
    expect(baseStages.map(([, stage]) => stage)).toEqual(['workspace', 'migrate', 'service']);
    for (const [, stage, firstInstruction] of baseStages) {
      expect(firstInstruction).toBe(`LABEL shop.image=${stage}`);
    }
  });
});
