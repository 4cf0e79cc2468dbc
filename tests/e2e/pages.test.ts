// The gateway's security headers, and its two tool pages in headless Chromium: the REST docs
// (Swagger UI) and the development IDE (GraphiQL) each render under their own
// Content-Security-Policy with no console error and no violation, while every API answer carries
// the API's policy, which lets a browser load and run nothing from it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type TestBrowser } from './browser.js';
import { GATEWAY } from './stack.js';

let browser: TestBrowser;

beforeAll(async () => {
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const API_POLICY = "default-src 'none';frame-ancestors 'none'";

describe('security headers', () => {
  it('gives every API answer the API policy and the headers of helmet, without HSTS or X-Powered-By', async () => {
    const answers = await Promise.all([
      fetch(`${GATEWAY}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      }),
      fetch(`${GATEWAY}/api/products?limit=1`),
      fetch(`${GATEWAY}/api/no-such-route`),
      fetch(`${GATEWAY}/health/ready`),
    ]);
    for (const answer of answers) {
      const { url, headers } = answer;
      expect(headers.get('content-security-policy'), url).toBe(API_POLICY);
      expect(headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(headers.get('x-frame-options'), url).toBe('DENY');
      expect(headers.get('referrer-policy'), url).toBe('no-referrer');
      expect(headers.get('cross-origin-resource-policy'), url).toBe('same-origin');
      expect(headers.get('strict-transport-security'), url).toBeNull();
      expect(headers.get('x-powered-by'), url).toBeNull();
    }
  });
});

describe('tool pages', () => {
  it('renders the REST docs with every operation of the OpenAPI document, under the page policy', async () => {
    const document = (await (await fetch(`${GATEWAY}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.values(document.paths).flatMap((path) => Object.keys(path)).length;
    const response = await browser.page.goto(`${GATEWAY}/api/docs/`);
    expect(response?.status()).toBe(200);
    const policy = response?.headers()['content-security-policy'] ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe');
    await expect.poll(() => browser.page.locator('.opblock').count(), { timeout: 15_000 }).toBe(operations);
    expect(await browser.cspViolations()).toEqual([]);
    expect(browser.consoleErrors).toEqual([]);
  });

  it('renders the IDE and loads the schema into it, under the page policy', async () => {
    const response = await browser.page.goto(`${GATEWAY}/graphql`);
    expect(response?.status()).toBe(200);
    const policy = response?.headers()['content-security-policy'] ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe');
    await browser.page.locator('.graphiql-container').waitFor({ timeout: 15_000 });
    // The schema is in once the documentation explorer lists the root types.
    await browser.page.getByRole('button', { name: /documentation explorer/i }).click();
    await browser.page.getByText('Query', { exact: true }).first().waitFor({ timeout: 15_000 });
    expect(await browser.cspViolations()).toEqual([]);
    expect(browser.consoleErrors).toEqual([]);
  });
});
