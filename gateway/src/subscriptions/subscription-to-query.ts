import type { EventEnvelope } from '@shop/events';
import { AppError, BadUserInputError } from '@shop/platform/core';
import {
  type ArgumentNode,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLBoolean,
  GraphQLID,
  GraphQLNonNull,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  OperationTypeNode,
  parse,
  print,
  type SelectionSetNode,
  type ValueNode,
  type VariableDefinitionNode,
  valueFromAST,
  visit,
} from 'graphql';
import { type QueryField, SUBSCRIBED, type SubscriptionDeclaration } from './subscription-declaration.js';

export interface SubscriptionQuery {
  declaration: SubscriptionDeclaration;
  operationName: string | undefined;
  /** The response key the client expects: its alias, or the subscription's field name. */
  responseKey: string;
  /** The value of the declaration's argument: what the client watches (an order id…). */
  topic: string;
  // The queries are printed once, here: Apollo Server runs query text (it prints a document it is given).
  /** Run once before any event: `query <same name>(<variables it uses>) { <key>: <authorize field>(…) <selection> }`. */
  authorization: string;
  /** Run for each event: `query <same name>(<variables it uses>) { <key>: <resolve field>(…) <same selection> }` + its fragments. */
  payload: string;
  /** Whether `authorization` is `payload` itself, so its answer is the payload at subscribe time. */
  authorizesWithPayload: boolean;
  /** The client asked (`current: true`) to be sent the payload as it is now before any event. */
  sendsCurrent: boolean;
  /** The client's variables, plus those the payload query reads from the event. */
  variables: (event?: EventEnvelope) => Record<string, unknown>;
  /**
   * After a gap in the feed: the query of the payload as it is now (with `variables()`), and how to
   * read the payload from its answer (null: nothing to catch up on).
   */
  catchUp: { query: string; payloadOf: (data: Record<string, unknown>) => unknown };
}

/**
 * @apollo/gateway cannot execute subscriptions, so the gateway answers a declared subscription
 * (`orderStatusChanged(orderId:)`…) by running the client's own selection as the declaration's
 * query, once per event. Expects a document already validated against `schema`; throws contract
 * errors for what it cannot serve.
 */
export function subscriptionToQuery(
  schema: GraphQLSchema,
  declarations: readonly SubscriptionDeclaration[],
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): SubscriptionQuery {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) {
    throw new AppError('BAD_REQUEST', 'Expected a subscription operation');
  }
  const [root, ...others] = operation.selectionSet.selections;
  const declaration =
    root?.kind === Kind.FIELD ? declarations.find((declared) => declared.field === root.name.value) : undefined;
  const argument =
    root?.kind === Kind.FIELD ? root.arguments?.find((arg) => arg.name.value === declaration?.argument) : undefined;
  if (root?.kind !== Kind.FIELD || !declaration || others.length > 0 || !argument) {
    const served = declarations.map((declared) => `${declared.field}(${declared.argument}:)`).join(', ');
    throw new AppError('BAD_REQUEST', `Only ${served} are served, one selected directly on Subscription`);
  }
  // Every declared subscription also takes `current` (the SDL declares it); no query takes it on.
  const current = root.arguments?.find((arg) => arg.name.value === CURRENT);
  const coerced = coercedVariables(schema, operation, variables ?? {});
  const responseKey = root.alias?.value ?? declaration.field;
  const eventVariables = new Map<string, (event: EventEnvelope) => string>();
  const usedNames = new Set((operation.variableDefinitions ?? []).map((definition) => definition.variable.name.value));
  const argumentsOf = (query: QueryField<typeof SUBSCRIBED | ((event: EventEnvelope) => string)>): ArgumentNode[] =>
    Object.entries(query.arguments).map(([name, source]) => {
      if (source === SUBSCRIBED) return { ...argument, name: { kind: Kind.NAME, value: name } };
      let variable = `${query.field}_${name}`;
      while (usedNames.has(variable)) variable = `_${variable}`;
      usedNames.add(variable);
      eventVariables.set(variable, source);
      return { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: name }, value: variableNode(variable) };
    });
  const queryOf = (query: QueryField<unknown>, args: ArgumentNode[], selectionSet: SelectionSetNode | undefined) => {
    const field: FieldNode = {
      ...root,
      alias: { kind: Kind.NAME, value: responseKey },
      name: { kind: Kind.NAME, value: query.field },
      arguments: args,
      selectionSet,
    };
    return toQuery(operation, document, field, [...eventVariables.keys()]);
  };
  const { selection } = declaration.authorize;
  const authorization = print(
    queryOf(
      declaration.authorize,
      argumentsOf(declaration.authorize),
      selection === undefined ? root.selectionSet : selectionSetOf(selection),
    ),
  );
  const payload = print(queryOf(declaration.resolve, argumentsOf(declaration.resolve), root.selectionSet));
  return {
    catchUp: catchUpOf(declaration, eventVariables.size === 0 ? payload : undefined, responseKey, (query, through) =>
      queryOf(query, argumentsOf(query), {
        kind: Kind.SELECTION_SET,
        selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: through }, selectionSet: root.selectionSet }],
      }),
    ),
    declaration,
    operationName: operation.name?.value,
    responseKey,
    topic: topicOf(argument.value, coerced, declaration.argument),
    authorization,
    payload,
    authorizesWithPayload: authorization === payload,
    sendsCurrent: valueFromAST(current?.value ?? BOOLEAN_FALSE, GraphQLBoolean, coerced) === true,
    variables: (event) => {
      const values: Record<string, unknown> = { ...variables };
      if (event) for (const [name, read] of eventVariables) values[name] = read(event);
      return values;
    },
  };
}

/**
 * What a subscriber catches up with after a gap: the payload query itself when it reads nothing from
 * an event, else the declaration's `catchUp`, `<key>: <field>(…) { <through> <the client's selection> }`
 * read back as `<key>: <through's answer>`.
 */
function catchUpOf(
  declaration: SubscriptionDeclaration,
  payload: string | undefined,
  responseKey: string,
  nestedQuery: (query: QueryField<typeof SUBSCRIBED>, through: string) => DocumentNode,
): SubscriptionQuery['catchUp'] {
  const { catchUp } = declaration;
  if (!catchUp) {
    if (!payload) throw new Error(`${declaration.field} reads its payload from events and declares no catchUp`);
    return { query: payload, payloadOf: (data) => data[responseKey] };
  }
  return {
    query: print(nestedQuery(catchUp, catchUp.through)),
    payloadOf: (data) => (data[responseKey] as Record<string, unknown> | null | undefined)?.[catchUp.through],
  };
}

/** The name of the type a `Query` field returns (`Order` for `order`): what a refusal says was not found. */
export function entityOf(schema: GraphQLSchema, query: QueryField<unknown>): string {
  const field = schema.getQueryType()?.getFields()[query.field];
  return field ? getNamedType(field.type).name : query.field;
}

const variableNode = (name: string) => ({ kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } }) as const;

function selectionSetOf(source: string): SelectionSetNode {
  const [operation] = parse(source, { noLocation: true }).definitions;
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error(`Not a selection set: ${source}`);
  return operation.selectionSet;
}

/**
 * The one-field query, with the fragments and variable definitions it uses: unused ones would fail
 * validation. `eventVariables` are declared as `ID!` when used.
 */
function toQuery(
  operation: OperationDefinitionNode,
  document: DocumentNode,
  field: FieldNode,
  eventVariables: string[],
): DocumentNode {
  const draft: OperationDefinitionNode = {
    ...operation,
    operation: OperationTypeNode.QUERY,
    selectionSet: { ...operation.selectionSet, selections: [field] },
  };
  const fragments = fragmentsUsedBy(draft, document);
  const used = new Set<string>();
  for (const node of [draft.selectionSet, ...fragments]) {
    visit(node, {
      Variable(variable) {
        used.add(variable.name.value);
      },
    });
  }
  const fromEvent: VariableDefinitionNode[] = eventVariables
    .filter((name) => used.has(name))
    .map((name) => ({
      kind: Kind.VARIABLE_DEFINITION,
      variable: variableNode(name),
      type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
    }));
  const kept = (operation.variableDefinitions ?? []).filter((definition) => used.has(definition.variable.name.value));
  const query: OperationDefinitionNode = { ...draft, variableDefinitions: [...kept, ...fromEvent] };
  return { kind: Kind.DOCUMENT, definitions: [query, ...fragments] };
}

/** Only the fragments the kept operation needs: others would fail validation as unused. */
function fragmentsUsedBy(root: ASTNode, document: DocumentNode): FragmentDefinitionNode[] {
  const all = new Map(
    document.definitions
      .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const used = new Map<string, FragmentDefinitionNode>();
  const collect = (node: ASTNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = all.get(spread.name.value);
        if (!fragment || used.has(fragment.name.value)) return;
        used.set(fragment.name.value, fragment);
        collect(fragment);
      },
    });
  collect(root);
  return [...used.values()];
}

/** The subscription argument that asks for the payload as it is now, before any event. */
const CURRENT = 'current';
const BOOLEAN_FALSE: ValueNode = { kind: Kind.BOOLEAN, value: false };

/** The client's variables, with their defaults, coerced to their declared types. */
function coercedVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw new BadUserInputError(coerced.errors[0]?.message ?? 'Invalid variables');
  return coerced.coerced;
}

/** The id the client asked for, a literal or a variable (with its default), coerced as `ID!`. */
function topicOf(value: ValueNode, coerced: Record<string, unknown>, argument: string): string {
  const topic = valueFromAST(value, new GraphQLNonNull(GraphQLID), coerced);
  if (typeof topic !== 'string') {
    throw new BadUserInputError(`Invalid ${argument}`, [{ field: argument, message: 'must be an ID' }]);
  }
  return topic;
}
