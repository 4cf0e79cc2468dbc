// Headless Chromium for the page tests: Debian's chromium driven by playwright-core, with no
// Playwright browser download (scripts/infra/chromium.sh). Every console error, uncaught exception
// and Content-Security-Policy violation of the page is kept for the test to assert on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  page: Page;
  /** Console errors (with the script that logged them) and uncaught exceptions, in order. */
  consoleErrors: string[];
  /** The page's CSP violations so far, each as `directive blocked-uri`. */
  cspViolations(): Promise<string[]>;
  close(): Promise<void>;
}

/** The screen the page sees: a phone's for the tracker, the default desktop otherwise. */
export interface Screen {
  viewport?: { width: number; height: number };
  isMobile?: boolean;
  hasTouch?: boolean;
  deviceScaleFactor?: number;
}

export async function openBrowser(screen: Screen = {}): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'e2e-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      ...screen,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
  // Chromium reports CSP violations on the console too; the event also names the directive.
  await page.addInitScript(`window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.cspViolations.push(event.effectiveDirective + ' ' + event.blockedURI);
    });`);
  return {
    page,
    consoleErrors,
    cspViolations: () => page.evaluate('window.cspViolations') as Promise<string[]>,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
