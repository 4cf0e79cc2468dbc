import type { DocumentNode, GraphQLSchema } from 'graphql';

const KEYS_PER_DOCUMENT = 64;
const MAX_KEY_LENGTH = 512;

/**
 * `compute` remembered by schema, parsed document and a short key of its other arguments (an
 * operation name and variables, say). A document parsed once and sent again, the common case, is
 * worked on once. Kept: at most 64 keys a document, each under 512 characters (others are computed
 * every time, so crafted variables cannot grow it), forgotten with the schema or document. What
 * `compute` throws is not kept.
 */
export function documentMemo<A extends unknown[], T>(
  compute: (schema: GraphQLSchema, document: DocumentNode, ...rest: A) => T,
  keyOf: (...rest: A) => string,
): (schema: GraphQLSchema, document: DocumentNode, ...rest: A) => T {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, T>>>();
  return (schema, document, ...rest) => {
    let byDocument = bySchema.get(schema);
    if (!byDocument) {
      byDocument = new WeakMap();
      bySchema.set(schema, byDocument);
    }
    let values = byDocument.get(document);
    if (!values) {
      values = new Map();
      byDocument.set(document, values);
    }
    const key = keyOf(...rest);
    if (values.has(key)) return values.get(key) as T;
    const value = compute(schema, document, ...rest);
    if (values.size < KEYS_PER_DOCUMENT && key.length <= MAX_KEY_LENGTH) values.set(key, value);
    return value;
  };
}

/** The usual `keyOf`: an operation name and its variables (names hold no space, so keys cannot collide). */
export const operationKey = (variables?: Record<string, unknown> | null, operationName?: string | null): string =>
  `${operationName ?? ''} ${JSON.stringify(variables ?? {})}`;
