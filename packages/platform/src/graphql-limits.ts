import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { wholeNumber } from '@shop/events';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isLeafType,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { documentMemo, operationKey } from './document-memo.js';

/**
 * Subscribe documents kept parsed, bounded by the length of their query texts. A parsed document
 * takes about 325 bytes of heap per character of its text (measured on deeply nested documents at
 * the token limit), so this bound holds about 40 MB; subscribers send a handful of distinct texts.
 */
const PARSED_SOURCES_MAX_CHARS = 128 * 1024;

/** Operation limits, the same on the gateway and on every subgraph (a subgraph's port is a door too). */
export const graphqlLimitsShape = {
  GRAPHQL_MAX_DEPTH: wholeNumber(10),
  // A customer's 50 orders with items, products, user and payment costs about 6,800.
  GRAPHQL_MAX_COST: wholeNumber(10_000),
  GRAPHQL_MAX_ALIASES: wholeNumber(15),
  GRAPHQL_MAX_DIRECTIVES: wholeNumber(20),
  GRAPHQL_MAX_TOKENS: wholeNumber(2_000),
};

export type GraphqlLimitSettings = z.infer<z.ZodObject<typeof graphqlLimitsShape>> & { NODE_ENV: string };

export interface GraphqlLimits {
  /**
   * For ApolloServer: the limits as validation rules, the token limit as a parse option, the cost
   * limit as a plugin (it needs the operation's variables).
   */
  plugins: ApolloServerPlugin[];
  validationRules: ValidationRule[];
  parseOptions: { maxTokens: number };
  /** The same limits for documents parsed outside Apollo Server (subscriptions). */
  parse: (source: string) => DocumentNode;
  validate: (
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Record<string, unknown> | null | undefined,
    operationName?: string | null,
  ) => readonly GraphQLError[];
  /** The operation's cost as the cost limit counts it (remembered per document and variables). */
  cost: (
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Record<string, unknown> | null | undefined,
    operationName?: string | null,
  ) => OperationCost;
}

// The cost of a field: 1 for a scalar; for an object, 2 plus 1.5 times its selections' cost, times
// the page size when it is a connection. A page size is read from the operation's variables and
// the argument's default (`first: Int = 20`), so `first: $n` costs what `first: 100` does, and an
// explicit `first: null` what the resolvers serve for it, the default page.
const SCALAR_COST = 1;
const OBJECT_COST = 2;
const DEPTH_COST_FACTOR = 1.5;

const pagedCost: ComplexityEstimator = ({ field, args, childComplexity }) => {
  // Introspection (the IDE's schema query) is not data; production turns it off.
  if (field.name.startsWith('__')) return 0;
  if (isLeafType(getNamedType(field.type))) return SCALAR_COST;
  const first = field.args.find((arg) => arg.name === 'first');
  const pageSize = first ? Math.max(Number(args.first ?? first.defaultValue ?? 1) || 1, 1) : 1;
  return (OBJECT_COST + DEPTH_COST_FACTOR * childComplexity) * pageSize;
};

const refused = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });

/** An operation's cost; `uncountable` past the count's node limit; null when its variables do not fit it. */
export type OperationCost = number | 'uncountable' | null;

/**
 * Variables that do not fit the operation are left to execution, which refuses them as
 * BAD_USER_INPUT; anything else the count cannot finish (more than its 10,000 nodes, through
 * repeated fragments) is uncountable.
 */
function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
): OperationCost {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return null;
  try {
    return getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      operationName: operation.name?.value,
      estimators: [pagedCost],
    });
  } catch {
    // Its message stays here: only the node limit is expected, and anything else is ours.
    return 'uncountable';
  }
}

/** A validation error without its "Did you mean …?", masked as graphql-armor's blockFieldSuggestion does. */
function unsuggested(error: GraphQLError): GraphQLError {
  const message = error.message.replace(/Did you mean ".+"\?/g, '[Suggestion hidden]').trim();
  return message === error.message
    ? error
    : new GraphQLError(message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        extensions: error.extensions,
      });
}

/** The cost limit's refusal, or null. */
function costRefusal(maxCost: number, cost: OperationCost): GraphQLError | null {
  if (cost === 'uncountable') return refused('Query cost could not be computed: too many fields');
  return cost !== null && cost > maxCost
    ? refused(`Query cost limit of ${maxCost} exceeded, found ${Math.ceil(cost)}.`)
    : null;
}

/**
 * graphql-armor's depth, alias, directive and token limits, at validation, and the cost limit
 * (graphql-query-complexity) once the operation and its variables are known. On the gateway both
 * run before the query planner, so a refused operation never reaches a subgraph.
 */
export function graphqlLimits(config: GraphqlLimitSettings): GraphqlLimits {
  const production = config.NODE_ENV === 'production';
  // Counting walks the whole operation, and Apollo Server keeps one parsed document per query text,
  // so a query sent again (the common case) is counted once per set of variables.
  const cost = documentMemo(operationCost, operationKey);
  const refuseCostly: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName }) {
          const refusal = costRefusal(
            config.GRAPHQL_MAX_COST,
            cost(schema, document, request.variables, operationName),
          );
          if (refusal) throw refusal;
        },
      };
    },
  };
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: config.GRAPHQL_MAX_DEPTH, flattenFragments: true },
    // armor's cost rule sees no variables: `first: $n` would count as one item.
    costLimit: { enabled: false },
    maxAliases: { n: config.GRAPHQL_MAX_ALIASES },
    maxDirectives: { n: config.GRAPHQL_MAX_DIRECTIVES },
    // Enforced by the parser itself (`parseOptions`): a clean 400 GRAPHQL_PARSE_FAILED, where armor's plugin throws a 500.
    maxTokens: { enabled: false },
    // "Did you mean …" would map out a schema whose introspection is off.
    blockFieldSuggestion: { enabled: production },
  }).protect();
  // Subscribe documents, parsed outside Apollo Server: parsed and checked once per query text, as
  // Apollo's document store does for /graphql (10,000 clients subscribing alike cost one of each).
  const documents = new LRUCache<string, DocumentNode>({
    maxSize: PARSED_SOURCES_MAX_CHARS,
    sizeCalculation: (_document, source) => source.length,
  });
  const rules = [...specifiedRules, ...validationRules];
  // Apollo's requests have armor's plugin hide suggestions in their errors; these documents, here.
  const checked = documentMemo(
    (schema, document) => validate(schema, document, rules).map((error) => (production ? unsuggested(error) : error)),
    () => '',
  );
  return {
    // graphql-armor is typed against Apollo's CommonJS build; the plugins are plain objects either way.
    plugins: [...(plugins as unknown as ApolloServerPlugin[]), refuseCostly],
    validationRules,
    parseOptions: { maxTokens: config.GRAPHQL_MAX_TOKENS },
    parse: (source) => {
      let document = documents.get(source);
      if (!document) {
        document = parse(source, { maxTokens: config.GRAPHQL_MAX_TOKENS });
        documents.set(source, document);
      }
      return document;
    },
    validate: (schema, document, variables, operationName) => {
      const invalid = checked(schema, document);
      if (invalid.length > 0) return invalid;
      const refusal = costRefusal(config.GRAPHQL_MAX_COST, cost(schema, document, variables, operationName));
      return refusal ? [refusal] : [];
    },
    cost,
  };
}
