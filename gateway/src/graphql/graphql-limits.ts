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
import type { GatewayConfig } from '../config.js';

export interface GraphqlLimits {
  /** For ApolloServer: the limits as validation rules, the token limit as a parse option. */
  plugins: ApolloServerPlugin[];
  validationRules: ValidationRule[];
  parseOptions: { maxTokens: number };
  /** The same limits for documents the gateway parses itself (subscriptions). */
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
}

/**
 * graphql-armor's depth, cost, alias, directive and token limits. They run at validation, before
 * the query planner, so a refused operation never reaches a subgraph.
 */
export function graphqlLimits(config: GatewayConfig): GraphqlLimits {
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
