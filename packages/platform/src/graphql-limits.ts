import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** Operation limits, the same on the gateway and on every subgraph (a subgraph's port is a door too). */
export const graphqlLimitsShape = {
  GRAPHQL_MAX_DEPTH: positiveInt(10),
  // A customer's 50 orders with items, products, user and payment costs about 6,800.
  GRAPHQL_MAX_COST: positiveInt(10_000),
  GRAPHQL_MAX_ALIASES: positiveInt(15),
  GRAPHQL_MAX_DIRECTIVES: positiveInt(20),
  GRAPHQL_MAX_TOKENS: positiveInt(2_000),
};

export type GraphqlLimitSettings = z.infer<z.ZodObject<typeof graphqlLimitsShape>> & { NODE_ENV: string };

export interface GraphqlLimits {
  /** For ApolloServer: the limits as validation rules, the token limit as a parse option. */
  plugins: ApolloServerPlugin[];
  validationRules: ValidationRule[];
  parseOptions: { maxTokens: number };
  /** The same limits for documents parsed outside Apollo Server (subscriptions). */
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
}

/**
 * graphql-armor's depth, cost, alias, directive and token limits. They run at validation: on the
 * gateway before the query planner, so a refused operation never reaches a subgraph.
 */
export function graphqlLimits(config: GraphqlLimitSettings): GraphqlLimits {
  const production = config.NODE_ENV === 'production';
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: config.GRAPHQL_MAX_DEPTH, flattenFragments: true },
    costLimit: { maxCost: config.GRAPHQL_MAX_COST },
    maxAliases: { n: config.GRAPHQL_MAX_ALIASES },
    maxDirectives: { n: config.GRAPHQL_MAX_DIRECTIVES },
    // Enforced by the parser itself (`parseOptions`): a clean 400 GRAPHQL_PARSE_FAILED, where armor's plugin throws a 500.
    maxTokens: { enabled: false },
    // "Did you mean …" would map out a schema whose introspection is off.
    blockFieldSuggestion: { enabled: production },
  }).protect();
  return {
    // graphql-armor is typed against Apollo's CommonJS build; the plugins are plain objects either way.
    plugins: plugins as unknown as ApolloServerPlugin[],
    validationRules,
    parseOptions: { maxTokens: config.GRAPHQL_MAX_TOKENS },
    parse: (source) => parse(source, { maxTokens: config.GRAPHQL_MAX_TOKENS }),
    validate: (schema, document) => validate(schema, document, [...specifiedRules, ...validationRules]),
  };
}
