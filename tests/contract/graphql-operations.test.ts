// CONTRACT.md, "GraphQL operations (supergraph)": every Query and Mutation of the contract's listing,
// Relay-style connections, `orders` scoped to the caller, and the error codes.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Answer, dataOf, errorCode, gql, type Json } from './gateway.client.js';
import {
  ADDRESS,
  type Customer,
  createProduct,
  loginAdmin,
  ORDER_FIELDS,
  orderWhen,
  PASSWORD,
  PAYMENT_FIELDS,
  type ProductRef,
  pay,
  placeOrder,
  registerCustomer,
  USER_FIELDS,
  uniqueEmail,
  uniqueName,
} from './shop.fixture.js';

const PRODUCT_FIELDS = 'id name description price category inventory images createdAt updatedAt';
const PRODUCTS = `query($filter: ProductFilter, $first: Int, $after: String) {
  products(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { id name price inventory } } pageInfo { hasNextPage endCursor }
  }
}`;
const ORDERS = `query($status: OrderStatus, $first: Int, $after: String) {
  orders(status: $status, first: $first, after: $after) {
    totalCount edges { cursor node { id status user { id } } } pageInfo { hasNextPage endCursor }
  }
}`;

let admin: Customer;
let ada: Customer;
let bob: Customer;
const category = uniqueName('graphql');
let products: ProductRef[];

beforeAll(async () => {
  [admin, ada, bob] = await Promise.all([loginAdmin(), registerCustomer('ada'), registerCustomer('bob')]);
  products = [];
  for (const [name, price, inventory] of [
    ['Smart lamp', '19.99', 5],
    ['Smart speaker', '89.00', 0],
    ['Plain chair', '45.50', 3],
  ] as const) {
    products.push(await createProduct(admin.token, { name: `${name} ${category}`, price, category, inventory }));
  }
});

/** Fails with the answer's errors unless it names `code` (and, if given, the offending `fields`). */
function expectError(answer: Answer, code: string, fields?: string[]) {
  expect(errorCode(answer), JSON.stringify(answer.body)).toBe(code);
  if (fields) {
    const named = answer.body.errors[0].extensions.fields.map((field: Json) => field.field);
    expect(named).toEqual(expect.arrayContaining(fields));
  }
}

describe('"GraphQL operations (supergraph)": Query', () => {
  it('me: the caller, with the User fields of the contract', async () => {
    expect(dataOf(await gql(`{ me { ${USER_FIELDS} } }`, {}, ada.token)).me).toEqual({
      id: ada.id,
      email: ada.email,
      firstName: 'ada',
      lastName: 'Contract',
      role: 'CUSTOMER',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(dataOf(await gql('{ me { role } }', {}, admin.token)).me.role).toBe('ADMIN');
  });

  it('user(id): one account; NOT_FOUND for an unknown id (admin)', async () => {
    expect(
      dataOf(await gql(`query($id: ID!) { user(id: $id) { id email } }`, { id: ada.id }, admin.token)).user,
    ).toEqual({
      id: ada.id,
      email: ada.email,
    });
    const unknown = await gql(
      'query($id: ID!) { user(id: $id) { id } }',
      { id: '000000000000000000000000' },
      admin.token,
    );
    expect(unknown.body.data?.user ?? null).toBeNull();
    if (unknown.body.errors) expectError(unknown, 'NOT_FOUND');
  });

  it('product(id): the Product fields; null or NOT_FOUND for an unknown id', async () => {
    const [lamp] = products as [ProductRef];
    const product = dataOf(
      await gql(`query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`, { id: lamp.id }),
    ).product;
    expect(product).toEqual({
      id: lamp.id,
      name: lamp.name,
      description: '',
      price: '19.99',
      category,
      inventory: 5,
      images: [],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const unknown = await gql('query($id: ID!) { product(id: $id) { id } }', { id: randomUUID() });
    expect(unknown.body.data?.product ?? null).toBeNull();
    if (unknown.body.errors) expectError(unknown, 'NOT_FOUND');
  });

  it('products(filter, first, after): every filter, and Relay pagination with totalCount', async () => {
    const names = async (filter: Record<string, unknown>) =>
      dataOf(await gql(PRODUCTS, { filter: { category, ...filter } }))
        .products.edges.map((edge: Json) => edge.node.name)
        .sort();
    const [lamp, speaker, chair] = products.map((product) => product.name) as [string, string, string];
    expect(await names({})).toEqual([lamp, speaker, chair].sort());
    expect(await names({ search: 'smart' })).toEqual([lamp, speaker].sort());
    expect(await names({ minPrice: '40.00' })).toEqual([speaker, chair].sort());
    expect(await names({ maxPrice: '45.50' })).toEqual([lamp, chair].sort());
    expect(await names({ inStock: true })).toEqual([lamp, chair].sort());
    expect(await names({ search: 'smart', maxPrice: '50', inStock: true })).toEqual([lamp]);

    const first = dataOf(await gql(PRODUCTS, { filter: { category }, first: 2 })).products;
    expect(first.totalCount).toBe(3);
    expect(first.edges).toHaveLength(2);
    expect(first.pageInfo).toEqual({ hasNextPage: true, endCursor: first.edges[1].cursor });
    const rest = dataOf(
      await gql(PRODUCTS, { filter: { category }, first: 2, after: first.pageInfo.endCursor }),
    ).products;
    expect(rest.edges).toHaveLength(1);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const seen = [...first.edges, ...rest.edges].map((edge: Json) => edge.node.id);
    expect(new Set(seen).size).toBe(3);
  });

  it('products: first defaults to 20; invalid arguments are BAD_USER_INPUT', async () => {
    const many = uniqueName('many');
    await Promise.all(Array.from({ length: 21 }, () => createProduct(admin.token, { category: many })));
    const page = dataOf(
      await gql('query($c: String) { products(filter: { category: $c }) { totalCount edges { cursor } } }', {
        c: many,
      }),
    ).products;
    expect(page.totalCount).toBe(21);
    expect(page.edges).toHaveLength(20);
    expectError(await gql(PRODUCTS, { first: -1 }), 'BAD_USER_INPUT');
    expectError(await gql(PRODUCTS, { filter: { minPrice: 'cheap' } }), 'BAD_USER_INPUT');
  });

  it('order(id) and payment(id): the whole Order and Payment; NOT_FOUND (or null) for unknown ids', async () => {
    const order = await placeOrder(ada.token, (products[0] as ProductRef).id, 2);
    const payment = await pay(ada.token, order.id);
    const read = dataOf(
      await gql(`query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`, { id: order.id }, ada.token),
    );
    expect(read.order).toMatchObject({
      id: order.id,
      user: { id: ada.id },
      totalAmount: '39.98',
      shippingAddress: ADDRESS,
    });
    const paid = dataOf(
      await gql(`query($id: ID!) { payment(id: $id) { ${PAYMENT_FIELDS} } }`, { id: payment.id }, ada.token),
    );
    expect(paid.payment).toEqual(payment);
    for (const [field, id] of [
      ['order', randomUUID()],
      ['payment', '000000000000000000000000'],
    ] as const) {
      const unknown = await gql(`query($id: ID!) { ${field}(id: $id) { id } }`, { id }, admin.token);
      expect(unknown.body.data?.[field] ?? null).toBeNull();
      if (unknown.body.errors) expectError(unknown, 'NOT_FOUND');
    }
  });

  it("orders: the caller's own orders, filtered by status, paginated; an admin sees everyone's", async () => {
    const customer = await registerCustomer('lister');
    const productId = (products[2] as ProductRef).id;
    const placed = [await placeOrder(customer.token, productId), await placeOrder(customer.token, productId)];
    await placeOrder(bob.token, productId);
    const own = dataOf(await gql(ORDERS, { first: 20 }, customer.token)).orders;
    expect(own.totalCount).toBe(2);
    expect(own.edges.map((edge: Json) => edge.node.id).sort()).toEqual(placed.map((order) => order.id).sort());
    expect(own.edges.every((edge: Json) => edge.node.user.id === customer.id)).toBe(true);
    const page = dataOf(await gql(ORDERS, { first: 1 }, customer.token)).orders;
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = dataOf(await gql(ORDERS, { first: 1, after: page.pageInfo.endCursor }, customer.token)).orders;
    expect(next.edges[0].node.id).not.toBe(page.edges[0].node.id);
    expect(dataOf(await gql(ORDERS, { status: 'PAID' }, customer.token)).orders.totalCount).toBe(0);
    expect(dataOf(await gql(ORDERS, { status: 'PENDING' }, customer.token)).orders.totalCount).toBe(2);
    const all = dataOf(await gql(ORDERS, { first: 1 }, admin.token)).orders;
    expect(all.totalCount).toBeGreaterThanOrEqual(3);
  });
});

describe('"GraphQL operations (supergraph)": Mutation', () => {
  it('register and login answer an AuthPayload {token, user}', async () => {
    const email = uniqueEmail('payload');
    const input = { email, password: PASSWORD, firstName: 'Pay', lastName: 'Load' };
    const registered = dataOf(
      await gql(`mutation($input: RegisterInput!) { register(input: $input) { token user { ${USER_FIELDS} } } }`, {
        input,
      }),
    ).register;
    expect(registered).toEqual({
      token: expect.any(String),
      user: expect.objectContaining({ email, role: 'CUSTOMER' }),
    });
    const login = dataOf(
      await gql('mutation($input: LoginInput!) { login(input: $input) { token user { id } } }', {
        input: { email, password: PASSWORD },
      }),
    ).login;
    expect(login).toEqual({ token: expect.any(String), user: { id: registered.user.id } });
    const me = dataOf(await gql('{ me { id } }', {}, login.token)).me;
    expect(me.id).toBe(registered.user.id);
  });

  it('createProduct takes defaults; updateProduct is partial', async () => {
    const created = dataOf(
      await gql(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { ${PRODUCT_FIELDS} } }`,
        {
          input: { name: uniqueName('Mug'), price: '4.5', category },
        },
        admin.token,
      ),
    ).createProduct;
    expect(created).toMatchObject({ price: '4.50', description: '', inventory: 0, images: [] });
    const updated = dataOf(
      await gql(
        `mutation($id: ID!) { updateProduct(id: $id, input: { inventory: 8 }) { ${PRODUCT_FIELDS} } }`,
        { id: created.id },
        admin.token,
      ),
    ).updateProduct;
    expect(updated).toEqual({ ...created, inventory: 8, updatedAt: expect.any(String) });
    expectError(
      await gql(
        'mutation($id: ID!) { updateProduct(id: $id, input: { inventory: 1 }) { id } }',
        { id: randomUUID() },
        admin.token,
      ),
      'NOT_FOUND',
    );
  });

  it('createOrder captures unit prices; updateOrderStatus and processPayment act on it', async () => {
    const product = products[0] as ProductRef;
    const order = await placeOrder(ada.token, product.id, 1);
    expect(order.items).toEqual([{ product: { id: product.id }, quantity: 1, price: '19.99' }]);
    const moved = dataOf(
      await gql(
        'mutation($id: ID!) { updateOrderStatus(id: $id, status: CANCELLED) { status } }',
        { id: order.id },
        ada.token,
      ),
    );
    expect(moved.updateOrderStatus.status).toBe('CANCELLED');
    // processPayment charges another order of hers for its total, and the order is paid.
    const unpaid = await placeOrder(ada.token, product.id, 1);
    expect(await pay(ada.token, unpaid.id, 'card')).toEqual({
      id: expect.any(String),
      order: { id: unpaid.id },
      amount: '19.99',
      paymentMethod: 'card',
      status: 'SUCCEEDED',
      transactionId: expect.any(String),
      failureReason: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await orderWhen(ada.token, unpaid.id, (current) => current.status === 'PAID')).toMatchObject({
      paymentStatus: 'SUCCEEDED',
    });
  });
});

describe('"GraphQL operations (supergraph)": errors', () => {
  it('BAD_USER_INPUT names the offending fields', async () => {
    const input = { email: 'not-an-email', password: 'short', firstName: 'A', lastName: 'B' };
    expectError(
      await gql('mutation($input: RegisterInput!) { register(input: $input) { token } }', { input }),
      'BAD_USER_INPUT',
      ['email', 'password'],
    );
    const order = { items: [{ productId: (products[0] as ProductRef).id, quantity: 0 }], shippingAddress: ADDRESS };
    expectError(
      await gql(
        'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
        { input: order },
        ada.token,
      ),
      'BAD_USER_INPUT',
    );
  });

  it('UNAUTHENTICATED without a token, FORBIDDEN for a customer on an admin operation', async () => {
    expectError(await gql('{ me { id } }'), 'UNAUTHENTICATED');
    const input = { name: 'x', price: '1.00', category };
    expectError(
      await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, ada.token),
      'FORBIDDEN',
    );
  });

  it('CONFLICT for a duplicate email, in any letter case', async () => {
    expectError(
      await gql('mutation($input: RegisterInput!) { register(input: $input) { token } }', {
        input: { email: ada.email.toUpperCase(), password: PASSWORD, firstName: 'A', lastName: 'B' },
      }),
      'CONFLICT',
    );
  });

  it('never shows internal details (stack traces, database messages) to a client', async () => {
    const hostile = ['{"$gt": ""}', "'; DROP TABLE products; --", 'x'.repeat(5000), '../../etc/passwd', '$where'];
    for (const id of hostile) {
      for (const field of ['order', 'payment', 'user', 'product']) {
        const answer = await gql(`query($id: ID!) { ${field}(id: $id) { id } }`, { id }, admin.token);
        const text = JSON.stringify(answer.body);
        expect(text).not.toMatch(/stacktrace|\bat \w+ \(|prisma|mongo|postgres|ECONN|SQL|Cast to ObjectId/i);
        expect(answer.status).toBeLessThan(500);
        if (errorCode(answer)) expect(['NOT_FOUND', 'BAD_USER_INPUT']).toContain(errorCode(answer));
      }
    }
  });
});
