// Generates GraphQL requests from the served schema for tests/e2e/graphql-fuzz.test.ts: operations
// on every root field with random (often wrong) arguments, and malformed or abusive documents.
// Everything comes from one seeded PRNG, so a seed replays the same requests.
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
} from 'graphql';
import { mulberry32 } from '../../scripts/mulberry32.js';

/** What the test sends: a JSON body (or raw text), how, and as whom. */
export interface FuzzRequest {
  kind: string;
  /** Raw body text; `body` is serialized when this is absent. */
  raw?: string;
  body?: unknown;
  method?: 'POST' | 'GET';
  contentType?: string;
}

/** An enum value: a bare name as a literal, a string in variables. */
class EnumValue {
  constructor(readonly name: string) {}
}

const STRINGS = [
  '',
  'a',
  ' ',
  'x'.repeat(300),
  'x'.repeat(20_000),
  'héllo wörld',
  '日本語のテキスト',
  '👩‍👩‍👧‍👦🏳️‍🌈',
  '\u202Eevil',
  'a\u0000b',
  '\u0000',
  '\ud800',
  "' OR 1=1 --",
  '{"$gt": ""}',
  '$where',
  '%_%',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%s%s%s%n',
  '\\',
  'ada@example.com',
  '+14155550100',
  'https://cdn.example.com/a.png',
  'javascript:alert(1)',
];
const INTS = [0, 1, -1, 20, 100, 101, 2_147_483_647, -2_147_483_648, 10_001];
const BAD_NUMBERS = [1.5, 2 ** 31, -(2 ** 53), 1e300, -0.0001];
const DECIMALS = ['19.99', '0', '0.00', '99999999.99', '100000000.00', '-1.00', '1.999', '1e3', 'abc', '', ' 5 '];
const BAD_VALUES: unknown[] = [null, true, {}, [], 'not a number', 42, { $gt: '' }];

export class GraphqlFuzzer {
  private readonly random: () => number;

  constructor(
    private readonly schema: GraphQLSchema,
    seed: number,
    /** Real ids (of a product, order, payment, user) mixed into generated ids. */
    private readonly ids: string[],
  ) {
    this.random = mulberry32(seed);
  }

  /** The next request: mostly generated operations, the rest malformed or abusive ones. */
  next(): FuzzRequest {
    return this.chance(0.7) ? this.operation() : this.pick(this.abuses)();
  }

  // ── generated operations ──

  private operation(): FuzzRequest {
    const roots = [this.schema.getQueryType(), this.schema.getMutationType(), this.schema.getSubscriptionType()].filter(
      (root): root is GraphQLObjectType => Boolean(root),
    );
    const root = this.chance(0.05) && roots[2] ? roots[2] : this.pick(roots.slice(0, 2));
    const keyword = root === this.schema.getQueryType() ? 'query' : root === roots[1] ? 'mutation' : 'subscription';
    const field = this.pick(Object.values(root.getFields()));
    const declarations: string[] = [];
    const variables: Record<string, unknown> = {};
    const args = this.arguments(field, (arg, value) => {
      const name = `v${declarations.length}`;
      declarations.push(`$${name}: ${arg.type.toString()}`);
      if (value !== undefined) variables[name] = toVariable(value);
      return `$${name}`;
    });
    const selection = this.selection(getNamedType(field.type), 0);
    const header = declarations.length ? `${keyword} Fuzz(${declarations.join(', ')})` : `${keyword} Fuzz`;
    const query = `${header} { ${field.name}${args}${selection} }`;
    return { kind: `${keyword} ${field.name}`, body: { query, variables } };
  }

  private arguments(
    field: GraphQLField<unknown, unknown>,
    asVariable: (arg: GraphQLArgument, value: unknown) => string,
  ): string {
    const parts: string[] = [];
    for (const arg of field.args) {
      if (!isNonNullType(arg.type) && this.chance(0.4)) continue;
      const value = this.value(arg.type, 0);
      const text = this.chance(0.5) ? asVariable(arg, value) : toLiteral(value === undefined ? null : value);
      parts.push(`${arg.name}: ${text}`);
    }
    return parts.length ? `(${parts.join(', ')})` : '';
  }

  /** A value for an input type: usually fitting, sometimes wrong in type, size or content. */
  private value(type: GraphQLInputType, depth: number): unknown {
    if (this.chance(0.04)) return this.pick(BAD_VALUES);
    if (isNonNullType(type)) return this.chance(0.03) ? null : this.value(type.ofType, depth);
    if (this.chance(0.05)) return null;
    if (isListType(type)) {
      const length = this.chance(0.03) ? 2_000 : Math.floor(this.random() * 4);
      return Array.from({ length }, () => this.value(type.ofType, depth + 1));
    }
    if (isInputObjectType(type)) {
      const object: Record<string, unknown> = {};
      for (const field of Object.values(type.getFields())) {
        if (!isNonNullType(field.type) && this.chance(0.5)) continue;
        if (isNonNullType(field.type) && this.chance(0.03)) continue;
        object[field.name] = depth > 4 ? null : this.value(field.type, depth + 1);
      }
      if (this.chance(0.03)) object.unknownField = 'x';
      return object;
    }
    if (isEnumType(type)) {
      return this.chance(0.9) ? new EnumValue(this.pick(type.getValues()).name) : new EnumValue('NOT_A_VALUE');
    }
    return this.scalar(type.name);
  }

  private scalar(name: string): unknown {
    const wrong = this.chance(0.08);
    switch (name) {
      case 'Int':
        return wrong ? this.pick(BAD_NUMBERS) : this.pick(INTS);
      case 'Float':
        return wrong ? 'NaN' : this.pick([...INTS, ...BAD_NUMBERS]);
      case 'Boolean':
        return wrong ? 'true' : this.chance(0.5);
      case 'ID':
        return wrong ? this.pick(INTS) : this.id();
      case 'Decimal':
        return wrong ? this.pick([19.99, 1e21, -5]) : this.pick(DECIMALS);
      default:
        return wrong ? this.pick(INTS) : this.pick(STRINGS);
    }
  }

  private id(): string {
    return this.pick([
      ...this.ids,
      ...this.ids,
      '000000000000000000000000',
      'ffffffffffffffffffffffff',
      '00000000-0000-0000-0000-000000000000',
      'not-an-id',
      '',
      '{"$ne": null}',
      'x'.repeat(5_000),
    ]);
  }

  /** A selection set for the named output type: a few fields, nested a few levels. */
  private selection(type: GraphQLNamedType, depth: number): string {
    if (isLeafType(type)) return '';
    if (isUnionType(type) || isInterfaceType(type)) {
      const members = isUnionType(type) ? type.getTypes() : this.schema.getPossibleTypes(type);
      return ` { __typename ${members.map((member) => `... on ${member.name}${this.selection(member, depth + 1)}`).join(' ')} }`;
    }
    if (!isObjectType(type)) return '';
    const fields = Object.values(type.getFields());
    const chosen = new Set<string>();
    const parts: string[] = [];
    const count = 1 + Math.floor(this.random() * 4);
    for (let i = 0; i < count; i++) {
      const field = this.pick(fields);
      if (chosen.has(field.name)) continue;
      const named = getNamedType(field.type);
      if (!isLeafType(named) && depth >= 4) continue;
      chosen.add(field.name);
      const args = this.arguments(field, (_arg, value) => toLiteral(value === undefined ? null : value));
      parts.push(`${field.name}${args}${this.selection(named, depth + 1)}`);
    }
    if (parts.length === 0) parts.push('__typename');
    return ` { ${parts.join(' ')} }`;
  }

  // ── malformed and abusive requests ──

  private readonly abuses: (() => FuzzRequest)[] = [
    () => {
      const { body } = this.operation();
      const query = (body as { query: string }).query;
      return { kind: 'truncated document', body: { query: query.slice(0, Math.floor(this.random() * query.length)) } };
    },
    () => ({ kind: 'garbage document', body: { query: this.garbage(1 + Math.floor(this.random() * 200)) } }),
    () => ({ kind: 'unknown field', body: { query: `{ notAField${Math.floor(this.random() * 1000)} { id } }` } }),
    () => ({ kind: 'unknown type in fragment', body: { query: '{ me { ...F } } fragment F on NoSuchType { id }' } }),
    () => ({ kind: 'deep nesting', body: { query: `{ me { ${nested(8 + Math.floor(this.random() * 20))} } }` } }),
    () => ({
      kind: 'alias bomb',
      body: {
        query: `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: products(first: 100) { totalCount }`).join(' ')} }`,
      },
    }),
    () => ({
      kind: 'fragment cycle',
      body: { query: '{ me { ...A } } fragment A on User { id ...B } fragment B on User { email ...A }' },
    }),
    () => ({ kind: 'huge document', body: { query: `{ ${'__typename '.repeat(5_000)}}` } }),
    () => ({ kind: 'directive bomb', body: { query: `{ __typename ${'@include(if: true) '.repeat(200)}}` } }),
    () => ({
      kind: 'introspection depth',
      body: { query: `{ __schema { types { ${'fields { type { ofType { '.repeat(6)}name${' } } }'.repeat(6)} } } }` },
    }),
    () => ({
      kind: 'huge variable',
      body: {
        query: 'query ($s: String) { products(filter: { search: $s }) { totalCount } }',
        variables: { s: 'x'.repeat(90_000) },
      },
    }),
    () => ({
      kind: 'huge list variable',
      body: {
        query: 'mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
        variables: {
          input: {
            items: Array.from({ length: 3_000 }, () => ({ productId: this.id(), quantity: 1 })),
            shippingAddress: { street: 's', city: 'c', state: 's', zipCode: 'z', country: 'c' },
          },
        },
      },
    }),
    () => ({
      kind: 'body shape',
      body: this.pick<unknown>([
        [{ query: '{ __typename }' }, { query: '{ __typename }' }],
        'query',
        null,
        42,
        {},
        { query: 42 },
        { query: '{ __typename }', variables: 'nope' },
        { query: '{ __typename }', variables: [1, 2] },
        { query: 'query A { __typename } query B { __typename }' },
        { query: 'query A { __typename }', operationName: 'B' },
        { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } },
      ]),
    }),
    () => ({
      kind: 'malformed JSON',
      raw: this.pick(['{', '{"query": ', '\u0000', '[]]', '{"query": "{ me { id } }"'.repeat(3)]),
    }),
    () => ({ kind: 'non-JSON content type', raw: '{ __typename }', contentType: 'text/plain' }),
    () => ({ kind: 'GET without preflight header', method: 'GET', body: { query: '{ __typename }' } }),
    () => ({
      kind: 'operation over GET',
      method: 'GET',
      contentType: 'application/json',
      body: { query: 'mutation { logout(refreshToken: "x") }' },
    }),
  ];

  private garbage(length: number): string {
    const alphabet = '{}()[]:$@!.,=|&"\'#\\\n\t abcxyz0123456789…é🙂\u0000';
    return Array.from({ length }, () => alphabet[Math.floor(this.random() * alphabet.length)]).join('');
  }

  private chance(probability: number): boolean {
    return this.random() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }
}

const nested = (depth: number): string =>
  depth === 0 ? 'id' : `orders { edges { node { user { ${nested(depth - 1)} } } } }`;

function toVariable(value: unknown): unknown {
  if (value instanceof EnumValue) return value.name;
  if (Array.isArray(value)) return value.map(toVariable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toVariable(item)]));
  }
  return value;
}

/** Prints any value as a GraphQL literal, wrong ones included (that is the point). */
function toLiteral(value: unknown): string {
  if (value instanceof EnumValue) return value.name;
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(toLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${key.replace(/\W/g, '_')}: ${toLiteral(item)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}
