/**
 * The path of a request's target, read without parsing it as a URL: Node's parser lets through
 * targets such as `//a:b/graphql` on which `new URL` throws, and a throw inside a server's
 * `request` or `upgrade` listener ends the process.
 */
export function requestPath(target: string | undefined): string {
  const path = target ?? '/';
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}
