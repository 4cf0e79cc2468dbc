import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Headers on every answer (helmet; OWASP API8:2023, security misconfiguration): no MIME sniffing,
 * never framed, no referrer sent on, windows and resources isolated from other origins. The API
 * answers data, never a page, so its Content-Security-Policy lets a browser load and run nothing
 * from it; the HTML pages replace it with their own (`pagePolicy`). No Strict-Transport-Security:
 * TLS ends at the load balancer or ingress, which sets it for the domain it serves.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
  });
}

/**
 * A page's Content-Security-Policy, in place of the API's: scripts, styles and images from this
 * origin only, requests back to it only, no `<base>`, no form submitted by the browser, never
 * framed. `extra` adds directives or replaces one (a page that needs inline styles says so there).
 */
export function pagePolicy(extra: Record<string, string[]> = {}): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      connectSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
      ...extra,
    },
  });
}
