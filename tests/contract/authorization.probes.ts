// How the authorization matrix calls each operation as each caller, and how it reads the answer
// into one outcome word. Mutations act on fresh objects of the owner, so each call is independent.
import { randomUUID } from 'node:crypto';
import { type Answer, errorCode, gql, type Json, rest } from './gateway.client.js';
import {
  ADDRESS,
  type Customer,
  login,
  PASSWORD,
  type ProductRef,
  pay,
  placeOrder,
  registerCustomer,
  uniqueEmail,
  uniqueName,
} from './shop.fixture.js';
import { subscribe } from './subscription.client.js';

export const CALLERS = ['anonymous', 'owner', 'other', 'admin'] as const;
export type Caller = (typeof CALLERS)[number];

/**
 * `data`: answered with the owner's object. `hidden`: answered, but without the owner's objects (a
 * list of the caller's own). `absent`: not in the public schema at all (GRAPHQL_VALIDATION_FAILED).
 * The error codes stand for GraphQL `extensions.code` and for the REST status (401, 403, 404)
 * answered as `application/problem+json`.
 */
export type Outcome = 'data' | 'hidden' | 'absent' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';

/** What the owner has, made once: a PAID order with its payment, and a notification about it. */
export interface World {
  owner: Customer;
  other: Customer;
  admin: Customer;
  product: ProductRef;
  orderId: string;
  paymentId: string;
  notificationId: string;
}

type Probe = (caller: Caller, world: World) => Promise<string>;

const tokenOf = (caller: Caller, world: World): string | undefined =>
  caller === 'anonymous' ? undefined : world[caller].token;

/** An answer → its outcome word; `sees` tells `data` from `hidden` for the owner's objects. */
function fromGraphql(answer: Answer, field: string, sees?: (value: Json) => boolean): string {
  const code = errorCode(answer);
  if (code) return code === 'GRAPHQL_VALIDATION_FAILED' ? 'absent' : code;
  const value = answer.body?.data?.[field];
  if (value === undefined || value === null) return 'hidden';
  return !sees || sees(value) ? 'data' : 'hidden';
}

const STATUS_OUTCOME: Record<number, Outcome> = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

function fromRest(answer: Answer, sees?: (body: Json) => boolean): string {
  if (answer.status >= 200 && answer.status < 300) return !sees || sees(answer.body) ? 'data' : 'hidden';
  const outcome = STATUS_OUTCOME[answer.status] ?? `HTTP ${answer.status}`;
  const problem =
    answer.headers.get('content-type')?.startsWith('application/problem+json') && answer.body?.status === answer.status;
  return problem ? outcome : `${outcome} without an RFC 9457 body`;
}

const ids = (connection: Json): string[] => connection.edges.map((edge: Json) => edge.node.id);

/** Every page of a connection query, so `hidden` is not just "further down the list". */
async function allIds(query: string, field: string, token?: string, variables: Record<string, unknown> = {}) {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const answer = await gql(query, { ...variables, after }, token);
    if (errorCode(answer) || !answer.body.data?.[field]) return { answer, seen };
    const connection = answer.body.data[field];
    seen.push(...ids(connection));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return { answer: undefined, seen };
}

const WATCH = `subscription Watch($orderId: ID!) { orderStatusChanged(orderId: $orderId) { id status } }`;
const WATCH_PAYMENT = `subscription Watch($orderId: ID!) { paymentStatusChanged(orderId: $orderId) { id status order { id } } }`;
const MOVE = `mutation Move($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { status } }`;

/**
 * Subscribes as `caller` to `field` for a fresh order of the owner, then moves the order one step at
 * a time (a declined payment, a payment, shipping, delivery) until the subscription answers: a
 * refused subscription answers at once, an accepted one with the next event after it went live.
 * `orderOf` reads which order an answer is about.
 */
const watchAs =
  (query: string, field: string, orderOf: (changed: Json) => string): Probe =>
  async (caller, world) => {
    const order = await placeOrder(world.owner.token, world.product.id);
    const subscription = subscribe(query, { orderId: order.id }, tokenOf(caller, world));
    const steps = [
      () => pay(world.owner.token, order.id, 'card_declined'),
      () => pay(world.owner.token, order.id, 'card'),
      () => gql(MOVE, { id: order.id, status: 'SHIPPED' }, world.admin.token),
      () => gql(MOVE, { id: order.id, status: 'DELIVERED' }, world.admin.token),
    ];
    try {
      let answered = await subscription.settled(1_000);
      for (const step of steps) {
        if (answered) break;
        await step();
        answered = await subscription.settled(3_000);
      }
      const failure = subscription.failure();
      if (failure)
        return Array.isArray(failure) ? String(failure[0]?.extensions?.code) : `socket closed ${failure.code}`;
      const [first] = subscription.messages;
      if (!first) return 'no answer';
      return fromGraphql({ status: 200, headers: new Headers(), body: first }, field, (changed) => {
        return orderOf(changed) === order.id;
      });
    } finally {
      await subscription.close();
    }
  };

/**
 * A fresh account whose credentials (password, refresh token) the caller presents. Fresh because
 * logins are counted before the password is checked: many at once for one email would lock it.
 */
const credentialsOwner = () => registerCustomer('credentials');
const customerInput = () => ({ email: uniqueEmail('matrix'), password: PASSWORD, firstName: 'M', lastName: 'Atrix' });
const freshOrder = async (world: World) => (await placeOrder(world.owner.token, world.product.id)).id as string;

export const PROBES: Record<string, Probe> = {
  // ── Query ──
  'Query.me': async (caller, world) => fromGraphql(await gql('{ me { id } }', {}, tokenOf(caller, world)), 'me'),
  'Query.user': async (caller, world) =>
    fromGraphql(
      await gql('query($id: ID!) { user(id: $id) { id } }', { id: world.owner.id }, tokenOf(caller, world)),
      'user',
    ),
  'Query.product': async (caller, world) =>
    fromGraphql(
      await gql('query($id: ID!) { product(id: $id) { id } }', { id: world.product.id }, tokenOf(caller, world)),
      'product',
    ),
  'Query.products': async (caller, world) =>
    fromGraphql(await gql('{ products(first: 1) { totalCount } }', {}, tokenOf(caller, world)), 'products'),
  'Query.order': async (caller, world) =>
    fromGraphql(
      await gql('query($id: ID!) { order(id: $id) { id } }', { id: world.orderId }, tokenOf(caller, world)),
      'order',
    ),
  'Query.orders': async (caller, world) => {
    const query =
      'query($after: String) { orders(first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }';
    const { answer, seen } = await allIds(query, 'orders', tokenOf(caller, world));
    return answer ? fromGraphql(answer, 'orders') : seen.includes(world.orderId) ? 'data' : 'hidden';
  },
  'Query.payment': async (caller, world) =>
    fromGraphql(
      await gql('query($id: ID!) { payment(id: $id) { id } }', { id: world.paymentId }, tokenOf(caller, world)),
      'payment',
    ),
  'Query.notifications': async (caller, world) => {
    const query =
      'query($after: String) { notifications(first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }';
    const { answer, seen } = await allIds(query, 'notifications', tokenOf(caller, world));
    return answer ? fromGraphql(answer, 'notifications') : seen.includes(world.notificationId) ? 'data' : 'hidden';
  },
  'Query._entities': async (caller, world) =>
    fromGraphql(
      await gql(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id } } }',
        { r: [{ __typename: 'Order', id: world.orderId }] },
        tokenOf(caller, world),
      ),
      '_entities',
    ),
  'Query._service': async (caller, world) =>
    fromGraphql(await gql('{ _service { sdl } }', {}, tokenOf(caller, world)), '_service'),

  // ── Mutation ──
  'Mutation.register': async (caller, world) =>
    fromGraphql(
      await gql(
        'mutation($input: RegisterInput!) { register(input: $input) { token } }',
        { input: customerInput() },
        tokenOf(caller, world),
      ),
      'register',
    ),
  'Mutation.login': async (caller, world) =>
    fromGraphql(
      await gql(
        'mutation($input: LoginInput!) { login(input: $input) { token } }',
        { input: { email: (await credentialsOwner()).email, password: PASSWORD } },
        tokenOf(caller, world),
      ),
      'login',
    ),
  'Mutation.refreshToken': async (caller, world) => {
    const { refreshToken } = await credentialsOwner();
    const answer = await gql(
      'mutation($t: String!) { refreshToken(token: $t) { token } }',
      { t: refreshToken },
      tokenOf(caller, world),
    );
    return fromGraphql(answer, 'refreshToken');
  },
  'Mutation.logout': async (caller, world) => {
    const { refreshToken } = await credentialsOwner();
    return fromGraphql(
      await gql('mutation($t: String!) { logout(refreshToken: $t) }', { t: refreshToken }, tokenOf(caller, world)),
      'logout',
    );
  },
  'Mutation.updateMe': async (caller, world) =>
    fromGraphql(
      await gql('mutation { updateMe(input: { lastName: "Matrix" }) { id } }', {}, tokenOf(caller, world)),
      'updateMe',
    ),
  // Each call revokes the tokens of the account it acts on: the "owner" acts on a fresh account of its own.
  'Mutation.logoutEverywhere': async (caller, world) => {
    const target = await registerCustomer('logout-target');
    const token = caller === 'owner' ? target.token : tokenOf(caller, world);
    const answer = await gql('mutation($id: ID) { logoutEverywhere(userId: $id) }', { id: target.id }, token);
    return fromGraphql(answer, 'logoutEverywhere');
  },
  // Every caller changes its own password, so each acts as a fresh account of its kind (the admin a promoted one).
  'Mutation.changePassword': async (caller, world) => {
    let token: string | undefined;
    if (caller !== 'anonymous') {
      const account = await registerCustomer(`password-${caller}`);
      token = account.token;
      if (caller === 'admin') {
        const promote = 'mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }';
        const promoted = await gql(promote, { id: account.id }, world.admin.token);
        if (errorCode(promoted)) throw new Error(`promoting the admin probe failed: ${errorCode(promoted)}`);
        token = (await login(account.email, PASSWORD)).token;
      }
    }
    const answer = await gql(
      'mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token } }',
      { input: { currentPassword: PASSWORD, newPassword: 'a new contract password' } },
      token,
    );
    return fromGraphql(answer, 'changePassword');
  },
  'Mutation.setUserRole': async (caller, world) => {
    const target = await registerCustomer('role-target');
    const answer = await gql(
      'mutation($id: ID!) { setUserRole(id: $id, role: CUSTOMER) { id } }',
      { id: target.id },
      tokenOf(caller, world),
    );
    return fromGraphql(answer, 'setUserRole');
  },
  'Mutation.createProduct': async (caller, world) =>
    fromGraphql(
      await gql(
        'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
        { input: { name: uniqueName('Matrix'), price: '1.00', category: uniqueName('matrix') } },
        tokenOf(caller, world),
      ),
      'createProduct',
    ),
  'Mutation.updateProduct': async (caller, world) =>
    fromGraphql(
      await gql(
        'mutation($id: ID!) { updateProduct(id: $id, input: { description: "changed by the matrix" }) { id } }',
        { id: world.product.id },
        tokenOf(caller, world),
      ),
      'updateProduct',
    ),
  'Mutation.createOrder': async (caller, world) =>
    fromGraphql(
      await gql(
        'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
        { input: { items: [{ productId: world.product.id, quantity: 1 }], shippingAddress: ADDRESS } },
        tokenOf(caller, world),
      ),
      'createOrder',
    ),
  'Mutation.updateOrderStatus': async (caller, world) =>
    fromGraphql(
      await gql(MOVE, { id: await freshOrder(world), status: 'CANCELLED' }, tokenOf(caller, world)),
      'updateOrderStatus',
    ),
  'Mutation.processPayment': async (caller, world) => {
    const input = { orderId: await freshOrder(world), paymentMethod: 'card', idempotencyKey: randomUUID() };
    const answer = await gql(
      'mutation($input: ProcessPaymentInput!) { processPayment(input: $input) { id } }',
      { input },
      tokenOf(caller, world),
    );
    return fromGraphql(answer, 'processPayment');
  },
  'Mutation.processPaymentAttempt': async (caller, world) => {
    const input = { orderId: await freshOrder(world), paymentMethod: 'card', idempotencyKey: randomUUID() };
    const answer = await gql(
      'mutation($input: ProcessPaymentInput!) { processPaymentAttempt(input: $input) { payment { id } } }',
      { input },
      tokenOf(caller, world),
    );
    return fromGraphql(answer, 'processPaymentAttempt');
  },
  'Mutation.reserveStock': async (caller, world) =>
    fromGraphql(
      await gql(
        'mutation($o: ID!, $p: ID!) { reserveStock(orderId: $o, items: [{ productId: $p, quantity: 1 }]) { productId } }',
        { o: randomUUID(), p: world.product.id },
        tokenOf(caller, world),
      ),
      'reserveStock',
    ),
  'Mutation.releaseStock': async (caller, world) =>
    fromGraphql(
      await gql('mutation($o: ID!) { releaseStock(orderId: $o) }', { o: world.orderId }, tokenOf(caller, world)),
      'releaseStock',
    ),
  'Mutation.confirmStock': async (caller, world) =>
    fromGraphql(
      await gql('mutation($o: ID!) { confirmStock(orderId: $o) }', { o: world.orderId }, tokenOf(caller, world)),
      'confirmStock',
    ),
  'Query.tokenVersions': async (caller, world) =>
    fromGraphql(
      await gql(
        'query($ids: [ID!]!) { tokenVersions(userIds: $ids) { userId version } }',
        { ids: [world.owner.id] },
        tokenOf(caller, world),
      ),
      'tokenVersions',
    ),

  // ── Subscription ──
  'Subscription.orderStatusChanged': watchAs(WATCH, 'orderStatusChanged', (changed) => changed.id),
  'Subscription.paymentStatusChanged': watchAs(WATCH_PAYMENT, 'paymentStatusChanged', (changed) => changed.order.id),

  // ── Entity fields contributed by another subgraph, reached through their parent ──
  'Order.user': async (caller, world) =>
    fromGraphql(
      await gql('query($id: ID!) { order(id: $id) { user { id } } }', { id: world.orderId }, tokenOf(caller, world)),
      'order',
      (order) => order.user.id === world.owner.id,
    ),
  'Order.payment': async (caller, world) =>
    fromGraphql(
      await gql('query($id: ID!) { order(id: $id) { payment { id } } }', { id: world.orderId }, tokenOf(caller, world)),
      'order',
      (order) => order.payment?.id === world.paymentId,
    ),
  'Payment.order': async (caller, world) =>
    fromGraphql(
      await gql(
        'query($id: ID!) { payment(id: $id) { order { id } } }',
        { id: world.paymentId },
        tokenOf(caller, world),
      ),
      'payment',
      (payment) => payment.order.id === world.orderId,
    ),
  'User.orders': async (caller, world) =>
    fromGraphql(
      await gql(
        'query($id: ID!) { user(id: $id) { orders(first: 100) { edges { node { id } } } } }',
        { id: world.owner.id },
        tokenOf(caller, world),
      ),
      'user',
      (user) => ids(user.orders).includes(world.orderId),
    ),
  'User.notifications': async (caller, world) =>
    fromGraphql(
      await gql(
        'query($id: ID!) { user(id: $id) { notifications { id } } }',
        { id: world.owner.id },
        tokenOf(caller, world),
      ),
      'user',
      // Only the newest few are listed, and the owner's other probes keep adding some: any is the owner's.
      (user) => user.notifications.length > 0,
    ),

  // ── REST shims ──
  'POST /api/users/register': async (caller, world) =>
    fromRest(await rest('POST', '/users/register', { body: customerInput(), token: tokenOf(caller, world) })),
  'POST /api/users/login': async (caller, world) =>
    fromRest(
      await rest('POST', '/users/login', {
        body: { email: (await credentialsOwner()).email, password: PASSWORD },
        token: tokenOf(caller, world),
      }),
    ),
  'GET /api/users/{id}': async (caller, world) =>
    fromRest(
      await rest('GET', `/users/${world.owner.id}`, { token: tokenOf(caller, world) }),
      (user) => user.id === world.owner.id,
    ),
  'GET /api/products': async (caller, world) =>
    fromRest(await rest('GET', '/products?limit=1', { token: tokenOf(caller, world) })),
  'POST /api/products': async (caller, world) =>
    fromRest(
      await rest('POST', '/products', {
        body: { name: uniqueName('Matrix'), price: 1.5, category: uniqueName('matrix') },
        token: tokenOf(caller, world),
      }),
    ),
  'PATCH /api/products/{id}': async (caller, world) =>
    fromRest(
      await rest('PATCH', `/products/${world.product.id}`, {
        body: { description: 'patched by the matrix' },
        token: tokenOf(caller, world),
      }),
    ),
  'POST /api/orders': async (caller, world) =>
    fromRest(
      await rest('POST', '/orders', {
        body: { items: [{ productId: world.product.id, quantity: 1 }], shippingAddress: ADDRESS },
        token: tokenOf(caller, world),
      }),
    ),
  'GET /api/orders/{id}': async (caller, world) =>
    fromRest(
      await rest('GET', `/orders/${world.orderId}`, { token: tokenOf(caller, world) }),
      (order) => order.id === world.orderId,
    ),
  'PATCH /api/orders/{id}': async (caller, world) =>
    fromRest(
      await rest('PATCH', `/orders/${await freshOrder(world)}`, {
        body: { status: 'CANCELLED' },
        token: tokenOf(caller, world),
      }),
    ),
  'POST /api/payments': async (caller, world) =>
    fromRest(
      await rest('POST', '/payments', {
        body: { orderId: await freshOrder(world), paymentMethod: 'card' },
        headers: { 'idempotency-key': randomUUID() },
        token: tokenOf(caller, world),
      }),
    ),
  'GET /api/payments/{id}': async (caller, world) =>
    fromRest(
      await rest('GET', `/payments/${world.paymentId}`, { token: tokenOf(caller, world) }),
      (payment) => payment.id === world.paymentId,
    ),
};
