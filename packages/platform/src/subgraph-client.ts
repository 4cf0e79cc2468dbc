import { AppError, PUBLIC_ERROR_CODES, type PublicErrorCode, ServiceUnavailableError } from './errors.js';
import { DeadlineExceededError, REQUEST_TIMEOUT_HEADER, timeLeft } from './request-deadline.js';
import { inClientSpan, injectTraceHeaders } from './tracing-http.js';

export interface CallOptions {
  authorization?: string;
  requestId?: string;
  /** When the caller's own caller stops waiting (RequestContext.deadline): the call waits no longer. */
  deadline?: number;
}

interface GraphqlResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const TIMEOUT_MS = 5_000;
/** What a proxy or load balancer answers for a service it could not reach. */
const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);

/**
 * Calls another subgraph's GraphQL API over HTTP, waiting at most 5 s or until the caller's deadline,
 * and telling the callee how long that is (REQUEST_TIMEOUT_HEADER). Contract errors (NOT_FOUND,
 * FORBIDDEN, …) keep their code so the caller sees the real reason; no answer at all is
 * SERVICE_UNAVAILABLE (the client may retry); anything else is an internal failure.
 */
export function callSubgraph<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  options: CallOptions = {},
): Promise<T> {
  const target = new URL(url);
  const timeoutMs = timeLeft(options.deadline, TIMEOUT_MS);
  if (timeoutMs <= 0) return Promise.reject(new DeadlineExceededError(`POST ${url}`));
  const attributes = {
    'http.request.method': 'POST',
    'url.full': url,
    'server.address': target.hostname,
    'server.port': Number(target.port) || undefined,
  };
  return inClientSpan(`POST ${target.host}${target.pathname}`, attributes, async (span) => {
    const headers = injectTraceHeaders({
      'content-type': 'application/json',
      ...(options.authorization ? { authorization: options.authorization } : {}),
      ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
      [REQUEST_TIMEOUT_HEADER]: String(timeoutMs),
    });
    let response: Response;
    let body: GraphqlResponse<T>;
    // Not answered (refused, reset, too slow) or answered by a proxy instead: the caller may retry.
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      span.setAttribute('http.response.status_code', response.status);
      if (UNAVAILABLE_STATUSES.has(response.status)) throw new Error(`${url} answered ${response.status}`);
      body = (await response.json()) as GraphqlResponse<T>;
    } catch (error) {
      // An answer that is not JSON is the callee's bug, not its absence.
      if (error instanceof SyntaxError) throw new Error(`${url} answered without JSON`, { cause: error });
      throw new ServiceUnavailableError(new Error(`POST ${url} (waiting ${timeoutMs} ms)`, { cause: error }));
    }
    const [first] = body.errors ?? [];
    if (first) {
      const { code, ...extensions } = first.extensions ?? {};
      // The callee could not reach what it needed, or gave up at our deadline: the same retry as ours.
      if (code === 'SERVICE_UNAVAILABLE') throw new ServiceUnavailableError(new Error(`${url}: ${first.message}`));
      if ((PUBLIC_ERROR_CODES as readonly unknown[]).includes(code)) {
        throw new AppError(code as PublicErrorCode, first.message, extensions);
      }
      throw new Error(`${url} failed: ${first.message}`);
    }
    if (!body.data) throw new Error(`${url} answered ${response.status} without data`);
    return body.data;
  });
}
