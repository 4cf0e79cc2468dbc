// What both fuzzers start from: an admin and a customer with their tokens, and one real product,
// order and payment (of that customer), so that generated calls also get past NOT_FOUND.
import { ADMIN, graphqlOk } from './stack.js';

export interface FuzzFixtures {
  adminToken: string;
  customerToken: string;
  customerId: string;
  productId: string;
  orderId: string;
  paymentId: string;
}

const ADDRESS = { street: '1 Fuzz St', city: 'Arlington', state: 'VA', zipCode: '22201', country: 'US' };

export async function createFuzzFixtures(name: string): Promise<FuzzFixtures> {
  const run = `${name}-${Date.now().toString(36)}`;
  const { login } = await graphqlOk<{ login: { token: string } }>(
    'mutation ($input: LoginInput!) { login(input: $input) { token } }',
    { input: ADMIN },
  );
  const { register } = await graphqlOk<{ register: { token: string; user: { id: string } } }>(
    'mutation ($input: RegisterInput!) { register(input: $input) { token user { id } } }',
    { input: { email: `${run}@fuzz.e2e.test`, password: 'fuzzing customer password', firstName: 'F', lastName: 'Z' } },
  );
  const { createProduct } = await graphqlOk<{ createProduct: { id: string } }>(
    'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    { input: { name: `Fuzzed ${run}`, price: '5.00', category: `fuzz-${run}`, inventory: 1000 } },
    login.token,
  );
  const { createOrder } = await graphqlOk<{ createOrder: { id: string } }>(
    'mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
    { input: { items: [{ productId: createProduct.id, quantity: 1 }], shippingAddress: ADDRESS } },
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
    productId: createProduct.id,
    orderId: createOrder.id,
    paymentId: processPayment.id,
  };
}
