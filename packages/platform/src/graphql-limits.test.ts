import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { graphqlLimits } from './graphql-limits.js';

const settings = {
  GRAPHQL_MAX_DEPTH: 10,
  GRAPHQL_MAX_COST: 10_000,
  GRAPHQL_MAX_ALIASES: 15,
  GRAPHQL_MAX_DIRECTIVES: 20,
  GRAPHQL_MAX_TOKENS: 2_000,
};
const limits = graphqlLimits({ ...settings, NODE_ENV: 'test' });

describe('graphqlLimits for documents parsed outside Apollo Server (subscriptions)', () => {
  it('parses a query text once, and refuses a bad one each time', () => {
    const source = 'subscription { changed(id: "1") }';
    expect(limits.parse(source)).toBe(limits.parse(source));
    expect(() => limits.parse('subscription {')).toThrow(/Syntax Error/);
    expect(() => limits.parse('subscription {')).toThrow(/Syntax Error/);
  });

  it('keeps parsed documents up to a bound of their texts, whoever sends many distinct ones', () => {
    // ~4 kB texts of 2,000 tokens: parsed, each is about 325 bytes of heap per character.
    const nested = (name: string) => `subscription { ${'a { '.repeat(650)}${name}${' }'.repeat(650)} }`;
    const first = limits.parse(nested('first'));
    for (let i = 0; i < 100; i++) limits.parse(nested(`other${i}`));
    // Parsed again: it was let go. (A boolean: a failing toBe would diff two 2,000-token trees.)
    expect(limits.parse(nested('first')) === first).toBe(false);
  });

  it("checks a document against each schema it is validated with, and keeps each schema's answer", () => {
    const document = limits.parse('subscription { changed(id: "1") { a extra } }');
    const sdl = (fields: string) =>
      `type Query { a: Int } type Subscription { changed(id: ID!): C } type C { ${fields} }`;
    const without = buildSchema(sdl('a: Int'));
    const withExtra = buildSchema(sdl('a: Int extra: Int'));
    const refused = limits.validate(without, document, {});
    expect(refused.map((error) => error.message)).toEqual(['Cannot query field "extra" on type "C".']);
    expect(limits.validate(without, document, {})).toEqual(refused);
    expect(limits.validate(withExtra, document, {})).toEqual([]);
  });

  it('hides "Did you mean" in production, as on /graphql: a subscription must not map out the schema', () => {
    const schema = buildSchema(
      'type Query { a: Int } type Subscription { changed(id: ID!): C } type C { status: Int }',
    );
    const source = 'subscription { changed(id: "1") { stauts } }';
    const messages = (env: string) => {
      const own = graphqlLimits({ ...settings, NODE_ENV: env });
      return own.validate(schema, own.parse(source), {}).map((error) => error.message);
    };
    expect(messages('development')).toEqual(['Cannot query field "stauts" on type "C". Did you mean "status"?']);
    expect(messages('production')).toEqual(['Cannot query field "stauts" on type "C". [Suggestion hidden]']);
  });
});
