// What both fuzzers start from: an admin of their own and a customer with their tokens, and one real product,
// order and payment (of that customer), so that generated calls also get past NOT_FOUND.
import { createProduct, graphqlOk, signInAdmin } from './stack.js';

export interface FuzzFixtures {
  adminToken: string;
  customerToken: string;
  customerId: string;
  productId: string;
  orderId: string;
  paymentId: string;
}

const ADDRESS = { street: '1 Fuzz St', city: 'Arlington', state: 'VA', zipCode: '22201', country: 'US' };

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { token } }';
const REGISTER = 'mutation ($input: RegisterInput!) { register(input: $input) { token user { id } } }';

/**
 * An admin of the fuzzer's own, promoted by the stack's admin: generated calls such as
 * `logoutEverywhere` or `changePassword` act on their caller, and must not revoke the tokens the
 * other test files hold for the stack's admin.
 */
async function ownAdmin(run: string): Promise<{ token: string }> {
  const input = { email: `${run}-admin@fuzz.e2e.test`, password: 'fuzzing admin password' };
  const { register } = await graphqlOk<{ register: { user: { id: string } } }>(REGISTER, {
    input: { ...input, firstName: 'F', lastName: 'Admin' },
  });
  await graphqlOk(
    'mutation ($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }',
    { id: register.user.id },
    await signInAdmin(),
  );
  return (await graphqlOk<{ login: { token: string } }>(LOGIN, { input })).login;
}

export async function createFuzzFixtures(name: string): Promise<FuzzFixtures> {
  const run = `${name}-${Date.now().toString(36)}`;
  const login = await ownAdmin(run);
  const { register } = await graphqlOk<{ register: { token: string; user: { id: string } } }>(REGISTER, {
    input: { email: `${run}@fuzz.e2e.test`, password: 'fuzzing customer password', firstName: 'F', lastName: 'Z' },
  });
  const productId = await createProduct(login.token, {
    name: `Fuzzed ${run}`,
    price: '5.00',
    category: `fuzz-${run}`,
    inventory: 1000,
  });
  const { createOrder } = await graphqlOk<{ createOrder: { id: string } }>(
    'mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
    { input: { items: [{ productId, quantity: 1 }], shippingAddress: ADDRESS } },
    register.token,
  );
  const { processPayment } = await graphqlOk<{ processPayment: { id: string } }>(
    'mutation ($input: ProcessPaymentInput!) { processPayment(input: $input) { id } }',
    { input: { orderId: createOrder.id, paymentMethod: 'card', idempotencyKey: run } },
    register.token,
  );
  return {
    adminToken: login.token,
    customerToken: register.token,
    customerId: register.user.id,
    productId,
    orderId: createOrder.id,
    paymentId: processPayment.id,
  };
}
