import type { RequestHandler, Response } from 'express';
import type { DocumentNode } from 'graphql';
import { PersistedDocuments } from './persisted-documents.js';

export interface PersistedDocumentsOptions {
  /** The trusted documents' manifest (PERSISTED_DOCUMENTS_PATH); none: only automatic persisted queries. */
  manifestPath: string | undefined;
  /** Allowlist mode (PERSISTED_DOCUMENTS_ONLY): documents outside the manifest are refused. */
  only: boolean;
  /** The gateway's parser, with its token limit. */
  parse: (source: string) => DocumentNode;
}

export const NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST';
export const NOT_IN_LIST_MESSAGE =
  'This endpoint runs only persisted documents: send the id of a document of the manifest (documentId).';

type Fields = { query?: unknown; documentId?: unknown; extensions?: unknown };

/**
 * Trusted documents on `/graphql`, before Apollo sees the request: a document the web and mobile
 * builds persisted is sent by id, as GraphQL over HTTP's `documentId` or as Apollo's
 * `extensions.persistedQuery.sha256Hash`, and runs as the manifest's text. In allowlist mode any
 * other document is refused (400 `PERSISTED_QUERY_NOT_IN_LIST`), which also stops registering new
 * automatic persisted queries; outside it, unknown hashes are left to Apollo's APQ cache.
 * In-process operations (REST shims, subscription events) never pass here: they are the
 * gateway's own code, not client documents.
 */
export async function usePersistedDocuments(options: PersistedDocumentsOptions): Promise<{
  /** For `/graphql`, after its JSON body parser. */
  http: RequestHandler;
  /** In allowlist mode, whether a document (e.g. a graphql-ws subscription's) may run; otherwise undefined. */
  allows: ((document: DocumentNode) => boolean) | undefined;
}> {
  if (options.only && !options.manifestPath) {
    throw new Error('PERSISTED_DOCUMENTS_ONLY: needs PERSISTED_DOCUMENTS_PATH (the manifest of allowed documents)');
  }
  const documents = options.manifestPath ? await PersistedDocuments.load(options.manifestPath) : undefined;
  const allows = options.only ? (document: DocumentNode) => documents?.contains(document) ?? false : undefined;
  const http: RequestHandler = (req, res, next) => {
    const get = req.method === 'GET';
    // Below the mount the target may read as an authority (`/graphql//a:b` leaves `//a:b`, on which
    // `new URL(target, base)` throws): it is a path here.
    const url = new URL(`http://gateway${req.url}`);
    const fields: Fields = get ? fromSearch(url.searchParams) : isObject(req.body) ? req.body : {};
    const hash = apqHash(fields.extensions);
    const id = typeof fields.documentId === 'string' ? fields.documentId : undefined;
    if (typeof fields.query === 'string') {
      if (id !== undefined) return refuse(res, 400, 'BAD_REQUEST', 'Send either query or documentId, not both.');
      if (options.only && !listed(documents, fields.query, options.parse)) {
        return refuse(res, 400, NOT_IN_LIST, NOT_IN_LIST_MESSAGE);
      }
      return next();
    }
    const key = id ?? hash;
    if (key === undefined) return next();
    const body = documents?.body(key);
    if (body === undefined) {
      // Outside allowlist mode an unknown hash may be an automatic persisted query: Apollo's APQ cache decides.
      if (id === undefined && !options.only) return next();
      return notFound(res);
    }
    // The manifest's text runs; the id is spent (Apollo would check a sha256Hash against the text).
    if (get) {
      url.searchParams.delete('documentId');
      url.searchParams.delete('extensions');
      url.searchParams.set('query', body);
      req.url = `${url.pathname}${url.search}`;
    } else {
      const { documentId: _id, extensions: _extensions, ...rest } = fields;
      req.body = { ...rest, query: body };
    }
    next();
  };
  return { http, allows };
}

function listed(documents: PersistedDocuments | undefined, query: string, parse: (source: string) => DocumentNode) {
  try {
    return documents?.contains(parse(query)) ?? false;
  } catch {
    return false; // unparseable: certainly not one of the manifest's
  }
}

function fromSearch(search: URLSearchParams): Fields {
  const extensions = search.get('extensions');
  let parsed: unknown;
  try {
    parsed = extensions ? JSON.parse(extensions) : undefined;
  } catch {
    parsed = undefined; // Apollo answers a malformed `extensions` itself
  }
  return {
    query: search.get('query') ?? undefined,
    documentId: search.get('documentId') ?? undefined,
    extensions: parsed,
  };
}

function apqHash(extensions: unknown): string | undefined {
  if (!isObject(extensions) || !isObject(extensions.persistedQuery)) return undefined;
  const hash = extensions.persistedQuery.sha256Hash;
  return typeof hash === 'string' ? hash : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/** As Apollo answers an unknown automatic persisted query: 200, never cached, so clients may fall back. */
function notFound(res: Response): void {
  res.setHeader('cache-control', 'private, no-cache, must-revalidate');
  refuse(res, 200, 'PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound');
}
