// A deliberately small client: fetch for GraphQL over HTTP and the REST shims, no shared code
// with the services, so the suite sees exactly what any other client sees.

import { contractStack } from './contract-stack.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions read the JSON answers freely
export type Json = any;

export interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** A raw body, sent as is (malformed JSON). */
  raw?: string;
}

export async function call(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  const hasBody = options.body !== undefined || options.raw !== undefined;
  const response = await fetch(`${contractStack().gatewayUrl}${path}`, {
    method,
    headers: {
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let body: Json = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: kept as text for the assertion to show.
  }
  return { status: response.status, headers: response.headers, body };
}

/** A REST shim under /api. */
export const rest = (method: string, path: string, options: RequestOptions = {}) =>
  call(method, `/api${path}`, options);

/** One GraphQL operation over HTTP POST. */
export const gql = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
  call('POST', '/graphql', { body: { query, variables }, token });

/** The first error's `extensions.code`, if any. */
export const errorCode = (answer: Answer): string | undefined => answer.body?.errors?.[0]?.extensions?.code;

/** The data of a GraphQL answer, failing loudly with its errors when there is none. */
export function dataOf(answer: Answer): Json {
  if (answer.body?.errors?.length || !answer.body?.data) {
    throw new Error(`GraphQL errors (HTTP ${answer.status}): ${JSON.stringify(answer.body?.errors ?? answer.body)}`);
  }
  return answer.body.data;
}

/** The body of a REST answer with the expected status, or an error naming what came instead. */
export function bodyOf(answer: Answer, status: number): Json {
  if (answer.status !== status)
    throw new Error(`expected HTTP ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}
