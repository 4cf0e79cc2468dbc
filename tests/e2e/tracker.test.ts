// The order tracker page (/tracker) in headless Chromium on a phone-sized screen: a customer signs
// in with the keyboard, orders from the catalogue and pays in the page; an admin ships the order
// through the API; the page shows SHIPPED live, without a reload, and logs no error or CSP violation.
// Then the customer forgets the password: the emailed link opens the page, which sets a new one;
// and a new account's address confirmation link opens the page, which confirms it.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmationLink, resetLink } from '../contract/mailbox.js';
import { openBrowser, type TestBrowser } from './browser.js';
import { createProduct, GATEWAY, graphqlOk, signInAdmin } from './stack.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOT = resolve(root, '.infra/artifacts/tracker.png');
const PHONE = { width: 375, height: 740 };
/** Upper bound for the page to settle: a live update passes two outboxes and RabbitMQ twice. */
const EVENTUALLY = { timeout: 20_000, interval: 100 };

const tag = `trk${Date.now().toString(36)}`;
// Markup in data must show as text: an element made from it would also trip the CSP checks below.
const productName = `Desk lamp <img src=x onerror="window.injected=1"> ${tag}`;
const customer = { email: `${tag}@example.com`, password: 'tracker-customer-password' };

let adminToken: string;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  adminToken = await signInAdmin();
  await createProduct(adminToken, {
    name: productName,
    description: 'Warm light for late reading',
    price: '24.50',
    category: `lighting-${tag}`,
    inventory: 5,
  });
  await graphqlOk('mutation($input: RegisterInput!) { register(input: $input) { token } }', {
    input: { ...customer, firstName: 'Ada', lastName: 'Lovelace' },
  });

  browser = await openBrowser({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
});

const orderStatus = () => page.locator('.order .status').first().textContent();

describe('order tracker page', () => {
  it('signs in, orders and pays in the page, and shows SHIPPED live when an admin ships', async () => {
    const response = await page.goto(`${GATEWAY}/tracker`);
    expect(response?.status()).toBe(200);
    const policy = response?.headers()['content-security-policy'] ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("require-trusted-types-for 'script'");
    // Survives only if the page never navigates or reloads from here on.
    await page.evaluate('window.sameDocument = true');

    for (const role of ['banner', 'main', 'search', 'status', 'alert'] as const) {
      expect(await page.getByRole(role, { includeHidden: true }).count(), role).toBe(1);
    }

    // Keyboard only: skip link, then the email field, with a visible focus ring.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('email');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).not.toBe('none');
    await page.keyboard.type(customer.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(customer.password);
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: 'My orders' }).waitFor();
    await expect.poll(() => page.locator('#live-state').textContent(), EVENTUALLY).toBe('on');
    expect(await page.getByText(customer.email).isVisible()).toBe(true);

    await page.getByLabel('Search the catalogue').fill(tag);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(() => page.locator('#products .product-name').allTextContents(), EVENTUALLY)
      .toEqual([productName]);
    const product = page.getByRole('radio', { name: new RegExp(tag) });
    expect(await page.locator('#products img').count()).toBe(0);
    await product.check();
    await page.getByLabel('Quantity').fill('2');
    await page.getByLabel('Street').fill('12 St James’s Square');
    await page.getByLabel('City').fill('London');
    await page.getByLabel('State or region').fill('Greater London');
    await page.getByLabel('Postal code').fill('SW1Y 4LB');
    await page.getByLabel('Country').fill('GB');
    await page.getByRole('button', { name: 'Place order' }).click();

    const order = page.locator('.order');
    await order.waitFor();
    expect(await order.count()).toBe(1);
    expect(await orderStatus()).toBe('PENDING');
    expect(await order.locator('.order-items').textContent()).toBe(`2 × ${productName}`);
    expect(await order.locator('.total').textContent()).toBe('49.00');
    const orderId = (await order.getAttribute('data-order-id')) ?? '';
    expect(orderId).not.toBe('');

    // A declined card leaves the order payable; another method then goes through.
    const method = order.getByLabel('Payment method');
    await method.selectOption('card_declined');
    await page.getByRole('button', { name: 'Pay 49.00' }).click();
    await expect.poll(() => page.locator('#error').textContent(), EVENTUALLY).toContain('failed: card_declined');
    expect(await order.locator('.payment-status').textContent()).toBe('FAILED');
    expect(await orderStatus()).toBe('PENDING');
    await method.selectOption('card');
    await page.getByRole('button', { name: 'Pay 49.00' }).click();
    await expect.poll(orderStatus, EVENTUALLY).toBe('PAID');
    expect(await page.locator('#error').textContent()).toBe('');
    expect(await order.locator('.payment-status').textContent()).toBe('SUCCEEDED');

    const shipped = await graphqlOk<{ updateOrderStatus: { status: string } }>(
      'mutation($id: ID!) { updateOrderStatus(id: $id, status: SHIPPED) { status } }',
      { id: orderId },
      adminToken,
    );
    expect(shipped.updateOrderStatus.status).toBe('SHIPPED');
    await expect.poll(orderStatus, EVENTUALLY).toBe('SHIPPED');
    expect(await page.locator('#announcer').textContent()).toContain('is now SHIPPED');
    expect(await page.evaluate('window.sameDocument')).toBe(true);

    // Phone-sized: nothing wider than the screen.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    expect(await page.evaluate('window.injected')).toBeUndefined();
    expect(await browser.cspViolations()).toEqual([]);

    // The token lives in sessionStorage: a reload keeps the user signed in, signing out forgets it.
    await page.reload();
    await expect.poll(orderStatus, EVENTUALLY).toBe('SHIPPED');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await page.locator('.order').count()).toBe(0);

    expect(await browser.cspViolations()).toEqual([]);
    expect(browser.consoleErrors).toEqual([]);
  });

  it('emails a reset link from the sign-in form, and the link opens a page that sets a new password and signs in', async () => {
    await page.goto(`${GATEWAY}/tracker`);
    await page.getByText('Forgot your password?').click();
    await page.locator('#forgot-email').fill(customer.email);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await page.locator('#forgot-sent').waitFor();
    const link = await resetLink(customer.email);
    expect(link.startsWith(`${GATEWAY}/reset-password#token=`)).toBe(true);

    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    // The token has left the address bar (and so the history).
    expect(page.url()).toBe(`${GATEWAY}/reset-password`);
    await page.getByLabel('New password (at least 8 characters)').fill('tracker-new-password');
    await page.getByRole('button', { name: 'Set it and sign in' }).click();
    await page.getByRole('heading', { name: 'My orders' }).waitFor();
    expect(await page.getByText(customer.email).isVisible()).toBe(true);
    const signIn = 'mutation($input: LoginInput!) { login(input: $input) { user { email } } }';
    const input = { email: customer.email, password: 'tracker-new-password' };
    expect((await graphqlOk<{ login: { user: { email: string } } }>(signIn, { input })).login.user.email).toBe(
      customer.email,
    );
    expect(await browser.cspViolations()).toEqual([]);
    expect(browser.consoleErrors).toEqual([]);
  });

  it('opens an emailed address confirmation link on a page that confirms it, signed in or not', async () => {
    const fresh = await graphqlOk<{ register: { token: string; user: { email: string } } }>(
      'mutation($input: RegisterInput!) { register(input: $input) { token user { email } } }',
      {
        input: {
          email: `confirm-${Date.now()}@tracker.test`,
          password: 'tracker password',
          firstName: 'T',
          lastName: 'R',
        },
      },
    );
    const link = await confirmationLink(fresh.register.user.email);
    expect(link.startsWith(`${GATEWAY}/verify-email#token=`)).toBe(true);

    await page.goto(link);
    await expect
      .poll(() => page.locator('#notice').textContent(), EVENTUALLY)
      .toBe('Your email address is confirmed. Thank you!');
    expect(page.url()).toBe(`${GATEWAY}/verify-email`);
    const me = await graphqlOk<{ me: { emailVerified: boolean } }>(
      '{ me { emailVerified } }',
      {},
      fresh.register.token,
    );
    expect(me.me.emailVerified).toBe(true);
    expect(await browser.cspViolations()).toEqual([]);
    expect(browser.consoleErrors).toEqual([]);
  });
});
