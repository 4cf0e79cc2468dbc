// How Docker Compose layers an override file on a base file, for the static compose tests
// (CI has no Docker engine): maps merge key by key, sequences append, `!reset` replaces.
import { readFileSync } from 'node:fs';
import { parse, type ScalarTag, type Tags } from 'yaml';

/** Compose's `!reset`: the override's value replaces the base's instead of merging into it. */
const RESET = Symbol('reset');
const resetTag = {
  tag: '!reset',
  collection: 'seq',
  resolve: () => ({ [RESET]: true, value: [] }),
} as unknown as ScalarTag;
const customTags: Tags = [resetTag];

type Yaml = Record<string, unknown>;
const isMap = (value: unknown): value is Yaml => typeof value === 'object' && value !== null && !Array.isArray(value);

export function merge(base: unknown, override: unknown): unknown {
  if (isMap(override) && RESET in override) return override.value;
  if (Array.isArray(base) && Array.isArray(override)) return [...base, ...override];
  if (isMap(base) && isMap(override)) {
    const merged: Yaml = { ...base };
    for (const [key, value] of Object.entries(override)) merged[key] = merge(base[key], value);
    return merged;
  }
  return override;
}

/** A compose file as Compose reads it (YAML merge keys, `!reset`). */
export const readComposeFile = (path: string): Yaml =>
  parse(readFileSync(path, 'utf8'), { merge: true, customTags }) as Yaml;
