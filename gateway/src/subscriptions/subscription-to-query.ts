import { AppError, BadUserInputError } from '@shop/platform/core';
import {
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLID,
  GraphQLNonNull,
  type GraphQLSchema,
  getOperationAST,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  OperationTypeNode,
  type ValueNode,
  valueFromAST,
  visit,
} from 'graphql';

const FIELD = 'orderStatusChanged';

export interface OrderStatusQuery {
  /** `query <same name>(<same variables>) { <key>: order(id: <same value>) <same selection> }` + its fragments. */
  document: DocumentNode;
  operationName: string | undefined;
  /** The response key the client expects: its alias, or `orderStatusChanged`. */
  responseKey: string;
  orderId: string;
}

/**
 * @apollo/gateway cannot execute subscriptions, so the gateway answers `orderStatusChanged(orderId:)`
 * by running the client's own selection as the query `order(id:)`, once per event. Expects a
 * document already validated against `schema`; throws contract errors for what it cannot serve.
 */
export function subscriptionToQuery(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): OrderStatusQuery {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) {
    throw new AppError('BAD_REQUEST', 'Expected a subscription operation');
  }
  const [root, ...others] = operation.selectionSet.selections;
  const argument = root?.kind === Kind.FIELD ? root.arguments?.find((arg) => arg.name.value === 'orderId') : undefined;
  if (root?.kind !== Kind.FIELD || root.name.value !== FIELD || others.length > 0 || !argument) {
    throw new AppError('BAD_REQUEST', `Only ${FIELD}(orderId:) is served, selected directly on Subscription`);
  }
  const responseKey = root.alias?.value ?? FIELD;
  const field: FieldNode = {
    ...root,
    alias: { kind: Kind.NAME, value: responseKey },
    name: { kind: Kind.NAME, value: 'order' },
    arguments: [{ ...argument, name: { kind: Kind.NAME, value: 'id' } }],
  };
  const query: OperationDefinitionNode = {
    ...operation,
    operation: OperationTypeNode.QUERY,
    selectionSet: { ...operation.selectionSet, selections: [field] },
  };
  return {
    document: { kind: Kind.DOCUMENT, definitions: [query, ...fragmentsUsedBy(query, document)] },
    operationName: operation.name?.value,
    responseKey,
    orderId: orderIdOf(schema, operation, argument.value, variables ?? {}),
  };
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

/** The order id the client asked for, a literal or a variable (with its default), coerced as `ID!`. */
function orderIdOf(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  value: ValueNode,
  variables: Record<string, unknown>,
): string {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw new BadUserInputError(coerced.errors[0]?.message ?? 'Invalid variables');
  const orderId = valueFromAST(value, new GraphQLNonNull(GraphQLID), coerced.coerced);
  if (typeof orderId !== 'string') {
    throw new BadUserInputError('Invalid orderId', [{ field: 'orderId', message: 'must be an ID' }]);
  }
  return orderId;
}
