// CONTRACT.md, "Authentication and authorization": "A customer reads and changes only their own user,
// orders, payments and notifications; an admin may read all and manage products and fulfilment."
// Every operation of the public surface × every kind of caller, checked against one table
// (OWASP API1:2023, broken object-level authorization). A new operation without a row fails the suite.

import { eventually } from '@shop/platform/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { CALLERS, type Outcome, PROBES, type World } from './authorization.probes.js';
import { dataOf, gql, type Json, rest } from './gateway.client.js';
import { createProduct, loginAdmin, orderWhen, pay, placeOrder, registerCustomer } from './shop.fixture.js';

/** Expected outcome for: anonymous, the owner, another customer, an admin (see `Outcome`). */
type Row = [anonymous: Outcome, owner: Outcome, other: Outcome, admin: Outcome];

const ANYONE: Row = ['data', 'data', 'data', 'data'];
const CUSTOMERS: Row = ['UNAUTHENTICATED', 'data', 'data', 'data'];
// CONTRACT.md: another customer's order, payment or notification answers exactly like an unknown id.
const OWNER_OR_ADMIN: Row = ['UNAUTHENTICATED', 'data', 'NOT_FOUND', 'data'];
const ADMIN_ONLY: Row = ['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'data'];
// Another customer cannot see the order at all; an admin sees it but may not pay for it.
const OWNER_ONLY: Row = ['UNAUTHENTICATED', 'data', 'NOT_FOUND', 'FORBIDDEN'];
const NOBODY: Row = ['absent', 'absent', 'absent', 'absent'];

// The object in question is the owner's (their user, order, payment, notification); for operations
// without one, "owner" and "other" are simply two customers.
const MATRIX: Record<string, Row> = {
  'Query.me': CUSTOMERS, // each caller their own account
  'Query.user': OWNER_OR_ADMIN,
  'Query.product': ANYONE,
  'Query.products': ANYONE,
  'Query.order': OWNER_OR_ADMIN,
  'Query.orders': ['UNAUTHENTICATED', 'data', 'hidden', 'data'], // the caller's own; an admin sees all
  'Query.payment': OWNER_OR_ADMIN,
  'Query.notifications': ['UNAUTHENTICATED', 'data', 'hidden', 'hidden'], // the caller's own, admins too
  // Federation internals stay inside the graph: `_entities` would skip every parent's check.
  'Query._entities': NOBODY,
  'Query._service': NOBODY,
  'Mutation.register': ANYONE,
  'Mutation.login': ANYONE,
  'Mutation.refreshToken': ANYONE, // the refresh token is the credential
  'Mutation.logout': ANYONE, // likewise
  'Mutation.updateMe': CUSTOMERS,
  'Mutation.setUserRole': ADMIN_ONLY,
  'Mutation.logoutEverywhere': OWNER_OR_ADMIN, // the account's own owner, or an admin
  'Mutation.changePassword': CUSTOMERS, // each caller their own account
  'Mutation.requestPasswordReset': ANYONE, // answers the same for every address
  'Mutation.resetPassword': ANYONE, // the emailed link's token is the credential
  'Mutation.verifyEmail': ANYONE, // the emailed link's token is the credential
  'Mutation.requestEmailVerification': CUSTOMERS, // each caller their own account
  'Mutation.requestEmailChange': CUSTOMERS, // likewise
  // Each caller its own account; an admin's is kept, so that the last admin cannot vanish.
  'Mutation.deleteMe': ['UNAUTHENTICATED', 'data', 'data', 'CONFLICT'],
  'Mutation.deleteUser': ADMIN_ONLY,
  'Query.tokenVersions': NOBODY, // gateway → users only, with a service token
  'Mutation.createProduct': ADMIN_ONLY,
  'Mutation.updateProduct': ADMIN_ONLY,
  'Mutation.createOrder': CUSTOMERS,
  'Mutation.createOrderAttempt': CUSTOMERS,
  'Mutation.updateOrderStatus': OWNER_OR_ADMIN, // cancelling a PENDING order
  'Mutation.processPayment': OWNER_ONLY, // "POST /api/payments — owner"
  'Mutation.processPaymentAttempt': OWNER_ONLY,
  'Mutation.reserveStock': NOBODY, // orders → products only, with a service token
  'Mutation.releaseStock': NOBODY,
  'Mutation.confirmStock': NOBODY,
  'Subscription.orderStatusChanged': OWNER_OR_ADMIN,
  'Subscription.paymentStatusChanged': OWNER_OR_ADMIN,
  'Order.user': OWNER_OR_ADMIN,
  'Order.payment': OWNER_OR_ADMIN,
  'Payment.order': OWNER_OR_ADMIN,
  'User.orders': OWNER_OR_ADMIN,
  'User.notifications': OWNER_OR_ADMIN,
  'POST /api/users/register': ANYONE,
  'POST /api/users/login': ANYONE,
  'POST /api/users/password-reset': ANYONE,
  'POST /api/users/password-reset/confirm': ANYONE,
  'GET /api/users/{id}': OWNER_OR_ADMIN,
  'POST /api/users/me/deletion': ['UNAUTHENTICATED', 'data', 'data', 'CONFLICT'], // as deleteMe
  'DELETE /api/users/{id}': ADMIN_ONLY, // as deleteUser
  'GET /api/products': ANYONE,
  'POST /api/products': ADMIN_ONLY,
  'PATCH /api/products/{id}': ADMIN_ONLY,
  'POST /api/orders': CUSTOMERS,
  'GET /api/orders/{id}': OWNER_OR_ADMIN,
  'PATCH /api/orders/{id}': OWNER_OR_ADMIN, // cancelling a PENDING order
  'POST /api/payments': OWNER_ONLY,
  'GET /api/payments/{id}': OWNER_OR_ADMIN,
};

let world: World;

beforeAll(async () => {
  const [admin, owner, other] = await Promise.all([loginAdmin(), registerCustomer('owner'), registerCustomer('other')]);
  const product = await createProduct(admin.token, { inventory: 100_000 });
  const order = await placeOrder(owner.token, product.id);
  const payment = await pay(owner.token, order.id);
  await orderWhen(owner.token, order.id, (current) => current.status === 'PAID');
  const notificationId = await eventually(async () => {
    const { notifications } = dataOf(
      await gql('{ notifications(first: 1) { edges { node { id } } } }', {}, owner.token),
    );
    return notifications.edges[0]?.node.id as string | undefined;
  });
  world = { owner, other, admin, product, orderId: order.id, paymentId: payment.id, notificationId };
});

describe('"Authentication and authorization": every operation × anonymous, owner, another customer, admin', () => {
  for (const [operation, row] of Object.entries(MATRIX)) {
    it(operation, async () => {
      const probe = PROBES[operation];
      if (!probe) throw new Error(`no probe for ${operation}`);
      const observed = await Promise.all(CALLERS.map((caller) => probe(caller, world)));
      const named = (outcomes: string[]) => Object.fromEntries(CALLERS.map((caller, i) => [caller, outcomes[i]]));
      expect(named(observed)).toEqual(named(row));
    });
  }
});

const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';
const INTROSPECTION = `{ __schema {
  queryType { name } mutationType { name } subscriptionType { name }
  types { name kind fields { name type { ${TYPE_REF} } } }
} }`;

const namedType = (type: Json): string => (type.ofType ? namedType(type.ofType) : type.name);

describe('the matrix covers the whole public surface', () => {
  let schema: Json;
  beforeAll(async () => {
    schema = dataOf(await gql(INTROSPECTION)).__schema;
  });
  const typeNamed = (name: string) => schema.types.find((type: Json) => type.name === name);

  it('has a row for every Query, Mutation and Subscription field of the live schema', () => {
    const roots = [schema.queryType, schema.mutationType, schema.subscriptionType].map((root: Json) => root.name);
    const live = roots.flatMap((root) => typeNamed(root).fields.map((field: Json) => `${root}.${field.name}`));
    expect(live.filter((operation: string) => !(operation in MATRIX))).toEqual([]);
    // …and the rows the schema does not have are exactly the ones that must stay out of it.
    const rootRows = Object.keys(MATRIX).filter((key) => roots.some((root) => key.startsWith(`${root}.`)));
    const missing = rootRows.filter((operation) => !live.includes(operation));
    expect(missing.filter((operation) => MATRIX[operation] !== NOBODY)).toEqual([]);
  });

  it('has a row for every field that leads from one entity to another', () => {
    // Entities are the object types with an `id`; a field of one that yields another (or a connection) is a path around its checks.
    const objects = schema.types.filter((type: Json) => type.kind === 'OBJECT' && !type.name.startsWith('__'));
    const isEntity = (name: string) => typeNamed(name)?.fields?.some((field: Json) => field.name === 'id') ?? false;
    const paths = objects
      .filter((type: Json) => isEntity(type.name))
      .flatMap((type: Json) =>
        type.fields
          .filter((field: Json) => {
            const target = namedType(field.type);
            return isEntity(target) || target.endsWith('Connection');
          })
          .map((field: Json) => `${type.name}.${field.name}`),
      );
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((path: string) => !(path in MATRIX))).toEqual([]);
  });

  it('has a row for every route of the OpenAPI document, and no row for a route it lacks', async () => {
    const document = (await rest('GET', '/openapi.json')).body;
    const routes = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const rows = Object.keys(MATRIX).filter((key) => key.includes(' /api/'));
    expect(routes.sort()).toEqual(rows.sort());
  });

  it('has a probe for every row and a row for every probe', () => {
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(MATRIX).sort());
  });
});
