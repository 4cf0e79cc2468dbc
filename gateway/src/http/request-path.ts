/**
 * The path of a request's target, read without a throw: Node's parser lets through targets such as
 * `//a:b/graphql` or `http://a:b/graphql` on which `new URL` throws, and a throw inside a server's
 * `request` or `upgrade` listener ends the process. The origin form is cut at its query; the
 * absolute form (RFC 9112, which a server must accept) is parsed, and one that is no URL has no path.
 */
export function requestPath(target: string | undefined): string {
  const path = target ?? '/';
  if (!path.startsWith('/')) {
    try {
      return new URL(path).pathname;
    } catch {
      return '';
    }
  }
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}
