import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { semicolonsInComments } from './migration-comments.js';

const migrations = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../prisma/migrations');

describe('semicolons in migration comments', () => {
  it('finds a comment holding a semicolon, and nothing else', () => {
    const sql = [
      '-- AlterTable',
      '-- Added by hand: a limit of 0 would be a product nobody may buy; that is inventory 0.',
      'ALTER TABLE "products" ADD COLUMN "purchase_limit" INTEGER; -- a comment after the statement',
      'SELECT 1;',
    ].join('\n');
    expect(semicolonsInComments(sql)).toEqual([2]);
  });

  it('finds none in the migrations of the repository', async () => {
    const dirs = (await readdir(migrations, { withFileTypes: true })).filter((entry) => entry.isDirectory());
    expect(dirs.length).toBeGreaterThan(0);
    for (const dir of dirs) {
      const sql = await readFile(path.join(migrations, dir.name, 'migration.sql'), 'utf8');
      expect({ migration: dir.name, lines: semicolonsInComments(sql) }).toEqual({ migration: dir.name, lines: [] });
    }
  });
});
