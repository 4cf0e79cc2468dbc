import { buildSchema, parse } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { documentMemo } from './document-memo.js';

const schema = buildSchema('type Query { a: Int }');
const otherSchema = buildSchema('type Query { a: Int b: Int }');

describe('documentMemo', () => {
  it('computes once per schema, document and key, and again for any of them new', () => {
    const compute = vi.fn((_schema, _document, n: number) => ({ n }));
    const memo = documentMemo(compute, (n) => String(n));
    const document = parse('{ a }');
    const first = memo(schema, document, 1);
    expect(memo(schema, document, 1)).toBe(first);
    expect(compute).toHaveBeenCalledTimes(1);
    memo(schema, document, 2);
    memo(otherSchema, document, 1);
    memo(schema, parse('{ a }'), 1);
    expect(compute).toHaveBeenCalledTimes(4);
  });

  it('keeps at most 64 keys a document and no key over 512 characters; computes the rest each time', () => {
    const compute = vi.fn((_schema, _document, key: string) => key);
    const memo = documentMemo(compute, (key) => key);
    const document = parse('{ a }');
    for (let i = 0; i < 65; i++) memo(schema, document, `k${i}`);
    memo(schema, document, 'k64');
    const long = 'x'.repeat(513);
    memo(schema, document, long);
    memo(schema, document, long);
    expect(compute).toHaveBeenCalledTimes(65 + 1 + 2);
    memo(schema, document, 'k0');
    expect(compute).toHaveBeenCalledTimes(68);
  });

  it('does not keep what compute throws', () => {
    let calls = 0;
    const memo = documentMemo(
      () => {
        calls++;
        throw new Error('refused');
      },
      () => '',
    );
    const document = parse('{ a }');
    expect(() => memo(schema, document)).toThrow('refused');
    expect(() => memo(schema, document)).toThrow('refused');
    expect(calls).toBe(2);
  });
});
