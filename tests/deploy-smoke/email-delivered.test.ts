// What only a deployment shows: the shop's email leaves the notifications container over SMTP and
// reaches a mail server (the smoke's `mail` container, which prints every message it accepts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { createProduct, loginAdmin, orderWhen, pay, placeOrder, registerCustomer } from '../contract/shop.fixture.js';

const run = promisify(execFile);
const project = process.env.DEPLOY_SMOKE_PROJECT ?? 'shop-smoke';

async function mailServerOutput(): Promise<string> {
  const { stdout, stderr } = await run('podman', ['logs', `${project}_mail_1`], { maxBuffer: 64 * 1024 * 1024 });
  return stdout + stderr;
}

it('sends the order confirmation and the payment receipt to the customer over SMTP', async () => {
  const admin = await loginAdmin();
  const customer = await registerCustomer('mailed');
  const product = await createProduct(admin.token, { price: '12.50' });
  const order = await placeOrder(customer.token, product.id, 2);
  await pay(customer.token, order.id);
  await orderWhen(customer.token, order.id, (current) => current.status === 'PAID');

  await expect
    .poll(mailServerOutput, { timeout: 30_000, interval: 500 })
    .toContain(`Subject: Order confirmation ${order.id}`);
  await expect
    .poll(mailServerOutput, { timeout: 30_000, interval: 500 })
    .toContain(`Subject: Payment receipt for order ${order.id}`);
  expect(await mailServerOutput()).toContain(`To: ${customer.email}`);
});
