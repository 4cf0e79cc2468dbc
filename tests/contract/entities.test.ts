// CONTRACT.md, "Entities (federation keys)": the four entities, their fields, what is contributed by
// other subgraphs, money and enums; `password` never exposed, in any form.
import { beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, dataOf, gql, type Json, rest } from './gateway.client.js';
import {
  type Customer,
  createProduct,
  loginAdmin,
  orderWhen,
  PASSWORD,
  type ProductRef,
  pay,
  placeOrder,
  registerCustomer,
} from './shop.fixture.js';

const INTROSPECT_TYPES = `{ __schema {
  queryType { name } mutationType { name } subscriptionType { name }
  types { name kind fields { name } inputFields { name } enumValues { name } }
} }`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let admin: Customer;
let owner: Customer;
let product: ProductRef;
let types: Json[];
/** Query, Mutation, Subscription: their fields are operations (e.g. `changePassword`), not data. */
let rootTypes: string[];
const typeNamed = (name: string) => types.find((type) => type.name === name);
const fieldsOf = (name: string): string[] => typeNamed(name).fields.map((field: Json) => field.name);

beforeAll(async () => {
  [admin, owner] = await Promise.all([loginAdmin(), registerCustomer('entities')]);
  product = await createProduct(admin.token, { price: '0.10', inventory: 100 });
  const schema = dataOf(await gql(INTROSPECT_TYPES)).__schema;
  types = schema.types;
  rootTypes = [schema.queryType, schema.mutationType, schema.subscriptionType].map((root) => root?.name);
});

describe('"Entities (federation keys)"', () => {
  it('has User, Product, Order and Payment with (at least) the fields of the contract', () => {
    const contract: Record<string, string[]> = {
      User: ['id', 'email', 'firstName', 'lastName', 'role', 'createdAt', 'updatedAt', 'orders', 'notifications'],
      Product: ['id', 'name', 'description', 'price', 'category', 'inventory', 'images', 'createdAt', 'updatedAt'],
      Order: [
        'id',
        'user',
        'items',
        'status',
        'totalAmount',
        'shippingAddress',
        'paymentStatus',
        'createdAt',
        'updatedAt',
        'payment',
      ],
      OrderItem: ['product', 'quantity', 'price'],
      ShippingAddress: ['street', 'city', 'state', 'zipCode', 'country'],
      Payment: [
        'id',
        'order',
        'amount',
        'paymentMethod',
        'status',
        'transactionId',
        'failureReason',
        'createdAt',
        'updatedAt',
      ],
    };
    for (const [type, fields] of Object.entries(contract)) {
      expect([type, fieldsOf(type)]).toEqual([type, expect.arrayContaining(fields)]);
    }
  });

  it('never exposes a password: no output field, no response, in any form', async () => {
    const outputs = types.filter((type) => type.kind === 'OBJECT' && type.fields && !rootTypes.includes(type.name));
    const leaky = outputs.flatMap((type) =>
      type.fields
        .filter((field: Json) => /pass|hash|secret|salt/i.test(field.name))
        .map((field: Json) => `${type.name}.${field.name}`),
    );
    expect(leaky).toEqual([]);
    const everything = await gql(`{ me { id email firstName lastName role createdAt updatedAt } }`, {}, owner.token);
    const rested = await rest('GET', `/users/${owner.id}`, { token: owner.token });
    for (const body of [everything.body, rested.body]) {
      expect(JSON.stringify(body)).not.toMatch(/argon2|password|\$2[aby]\$/i);
    }
    expect(JSON.stringify(everything.body)).not.toContain(PASSWORD);
  });

  it('lists the enums of the contract', () => {
    const values = (name: string) => typeNamed(name).enumValues.map((value: Json) => value.name);
    expect(values('OrderStatus')).toEqual(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED']);
    expect(values('PaymentStatus')).toEqual(['PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED']);
    expect(values('Role')).toEqual(expect.arrayContaining(['CUSTOMER', 'ADMIN']));
  });

  it('gives products a UUID id', () => {
    expect(product.id).toMatch(UUID);
  });

  it('resolves every cross-subgraph reference in one query: Order.user, items.product, Order.payment, Payment.order, User.orders', async () => {
    const order = await placeOrder(owner.token, product.id, 3);
    const payment = await pay(owner.token, order.id);
    await orderWhen(owner.token, order.id, (current) => current.status === 'PAID');
    const query = `query($id: ID!) { order(id: $id) {
      id user { id email orders { totalCount } }
      items { quantity price product { id name price } }
      payment { id status amount order { id status } }
    } }`;
    const read = dataOf(await gql(query, { id: order.id }, owner.token)).order;
    expect(read).toEqual({
      id: order.id,
      user: { id: owner.id, email: owner.email, orders: { totalCount: 1 } },
      items: [{ quantity: 3, price: '0.10', product: { id: product.id, name: product.name, price: '0.10' } }],
      payment: { id: payment.id, status: 'SUCCEEDED', amount: '0.30', order: { id: order.id, status: 'PAID' } },
    });
  });
});

describe('"Entities (federation keys)": money', () => {
  it('is exact: Decimal strings with two decimals in GraphQL, JSON numbers in REST (0.10 × 3 = 0.30)', async () => {
    const order = await placeOrder(owner.token, product.id, 3);
    expect(order.totalAmount).toBe('0.30');
    expect(order.items[0].price).toBe('0.10');
    const restOrder = bodyOf(await rest('GET', `/orders/${order.id}`, { token: owner.token }), 200);
    expect(restOrder.totalAmount).toBe(0.3);
    expect(restOrder.items[0].price).toBe(0.1);
    const whole = await createProduct(admin.token, { price: '20' });
    expect(whole.price).toBe('20.00');
  });

  it('captures the unit price at order time: a later price change leaves the order as it was', async () => {
    const own = await createProduct(admin.token, { price: '5.00', inventory: 10 });
    const order = await placeOrder(owner.token, own.id, 2);
    dataOf(
      await gql(
        'mutation($id: ID!) { updateProduct(id: $id, input: { price: "6.00" }) { id } }',
        { id: own.id },
        admin.token,
      ),
    );
    const read = dataOf(
      await gql(
        'query($id: ID!) { order(id: $id) { totalAmount items { price product { price } } } }',
        { id: order.id },
        owner.token,
      ),
    );
    expect(read.order).toEqual({ totalAmount: '10.00', items: [{ price: '5.00', product: { price: '6.00' } }] });
  });
});
