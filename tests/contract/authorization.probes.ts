// How the authorization matrix calls each operation as each caller, and how it reads the answer
// into one outcome word. Mutations act on fresh objects of the owner, so each call is independent.
import { randomUUID } from 'node:crypto';
import { type Answer, errorCode, gql, type Json, type RequestOptions, rest } from './gateway.client.js';
import { confirmationLink, resetLinkToken, tokenOfLink } from './mailbox.js';
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
export type Outcome = 'data' | 'hidden' | 'absent' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

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

/** The token of a new account of the caller's kind (an admin: a promoted one), for operations on one's own account. */
async function freshAccountOf(caller: Caller, world: World, name: string): Promise<string | undefined> {
  if (caller === 'anonymous') return undefined;
  const account = await registerCustomer(`${name}-${caller}`);
  if (caller !== 'admin') return account.token;
  const promote = 'mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }';
  const promoted = await gql(promote, { id: account.id }, world.admin.token);
  if (errorCode(promoted)) throw new Error(`promoting the admin probe failed: ${errorCode(promoted)}`);
  return (await login(account.email, PASSWORD)).token;
}

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

const STATUS_OUTCOME: Record<number, Outcome> = {
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
};

function fromRest(answer: Answer, sees?: (body: Json) => boolean): string {
  if (answer.status >= 200 && answer.status < 300) return !sees || sees(answer.body) ? 'data' : 'hidden';
  const outcome = STATUS_OUTCOME[answer.status] ?? `HTTP ${answer.status}`;
  const problem =
    answer.headers.get('content-type')?.startsWith('application/problem+json') && answer.body?.status === answer.status;
  return problem ? outcome : `${outcome} without an RFC 9457 body`;
}

const ids = (connection: Json): string[] => connection.edges.map((edge: Json) => edge.node.id);

/** Every page of a connection query, so `hidden` is not just "further down the list". */
async function allIds(query: string, field: string, token?: string) {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const answer = await gql(query, { after }, token);
    if (errorCode(answer) || !answer.body.data?.[field]) return { answer, seen };
    const connection = answer.body.data[field];
    seen.push(...ids(connection));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return { answer: undefined, seen };
}

type Variables = Record<string, unknown>;

/**
 * Sends one GraphQL operation as the caller and reads the answer's `field`; `sees` tells `data`
 * from `hidden` where the field is answered either way. `variables` may make what the call acts on.
 */
const asks =
  (
    field: string,
    query: string,
    variables: (world: World) => Variables | Promise<Variables> = () => ({}),
    sees?: (value: Json, world: World) => boolean,
  ): Probe =>
  async (caller, world) => {
    const answer = await gql(query, await variables(world), tokenOf(caller, world));
    return fromGraphql(answer, field, sees && ((value) => sees(value, world)));
  };

/** Reads every page of the caller's `field` connection: `data` when the owner's object is on one. */
const lists =
  (field: string, idOf: (world: World) => string): Probe =>
  async (caller, world) => {
    const query = `query($after: String) { ${field}(first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
    const { answer, seen } = await allIds(query, field, tokenOf(caller, world));
    return answer ? fromGraphql(answer, field) : seen.includes(idOf(world)) ? 'data' : 'hidden';
  };

/** Calls one REST shim as the caller; `path` and `options` may make what the call acts on. */
const calls =
  (
    method: string,
    path: string | ((world: World) => string | Promise<string>),
    options: (world: World) => RequestOptions | Promise<RequestOptions> = () => ({}),
    sees?: (body: Json, world: World) => boolean,
  ): Probe =>
  async (caller, world) => {
    const at = typeof path === 'string' ? path : await path(world);
    const answer = await rest(method, at, { ...(await options(world)), token: tokenOf(caller, world) });
    return fromRest(answer, sees && ((body) => sees(body, world)));
  };

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
/** A fresh account's emailed password reset link: the token, and a new password to set with it. */
async function resetLink(): Promise<{ token: string; newPassword: string }> {
  const { email } = await credentialsOwner();
  const asked = await rest('POST', '/users/password-reset', { body: { email } });
  if (asked.status !== 202) throw new Error(`asking for a reset link answered ${asked.status}`);
  return { token: await resetLinkToken(email), newPassword: 'a new contract password' };
}
const customerInput = () => ({ email: uniqueEmail('matrix'), password: PASSWORD, firstName: 'M', lastName: 'Atrix' });
const freshOrder = async (world: World) => (await placeOrder(world.owner.token, world.product.id)).id as string;
const paymentInput = async (world: World) => ({
  orderId: await freshOrder(world),
  paymentMethod: 'card',
  idempotencyKey: randomUUID(),
});

export const PROBES: Record<string, Probe> = {
  // ── Query ──
  'Query.me': asks('me', '{ me { id } }'),
  'Query.user': asks('user', 'query($id: ID!) { user(id: $id) { id } }', (world) => ({ id: world.owner.id })),
  'Query.product': asks('product', 'query($id: ID!) { product(id: $id) { id } }', (world) => ({
    id: world.product.id,
  })),
  'Query.products': asks('products', '{ products(first: 1) { totalCount } }'),
  'Query.order': asks('order', 'query($id: ID!) { order(id: $id) { id } }', (world) => ({ id: world.orderId })),
  'Query.orders': lists('orders', (world) => world.orderId),
  'Query.payment': asks('payment', 'query($id: ID!) { payment(id: $id) { id } }', (world) => ({ id: world.paymentId })),
  'Query.notifications': lists('notifications', (world) => world.notificationId),
  'Query._entities': asks(
    '_entities',
    'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id } } }',
    (world) => ({ r: [{ __typename: 'Order', id: world.orderId }] }),
  ),
  'Query._service': asks('_service', '{ _service { sdl } }'),
  'Query.tokenVersions': asks(
    'tokenVersions',
    'query($ids: [ID!]!) { tokenVersions(userIds: $ids) { userId version } }',
    (world) => ({ ids: [world.owner.id] }),
  ),

  // ── Mutation ──
  'Mutation.register': asks(
    'register',
    'mutation($input: RegisterInput!) { register(input: $input) { token } }',
    () => ({
      input: customerInput(),
    }),
  ),
  'Mutation.login': asks('login', 'mutation($input: LoginInput!) { login(input: $input) { token } }', async () => ({
    input: { email: (await credentialsOwner()).email, password: PASSWORD },
  })),
  'Mutation.refreshToken': asks(
    'refreshToken',
    'mutation($t: String!) { refreshToken(token: $t) { token } }',
    async () => ({
      t: (await credentialsOwner()).refreshToken,
    }),
  ),
  'Mutation.logout': asks('logout', 'mutation($t: String!) { logout(refreshToken: $t) }', async () => ({
    t: (await credentialsOwner()).refreshToken,
  })),
  'Mutation.requestPasswordReset': asks(
    'requestPasswordReset',
    'mutation($email: String!) { requestPasswordReset(email: $email) }',
    async () => ({ email: (await credentialsOwner()).email }),
  ),
  'Mutation.resetPassword': asks(
    'resetPassword',
    'mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { token } }',
    async () => ({ input: await resetLink() }),
  ),
  'Mutation.verifyEmail': asks('verifyEmail', 'mutation($t: String!) { verifyEmail(token: $t) }', async () => ({
    t: tokenOfLink(await confirmationLink((await credentialsOwner()).email)),
  })),
  'Mutation.requestEmailVerification': asks('requestEmailVerification', 'mutation { requestEmailVerification }'),
  'Mutation.updateMe': asks('updateMe', 'mutation { updateMe(input: { lastName: "Matrix" }) { id } }'),
  // Each call revokes the tokens of the account it acts on: the "owner" acts on a fresh account of its own.
  'Mutation.logoutEverywhere': async (caller, world) => {
    const target = await registerCustomer('logout-target');
    const token = caller === 'owner' ? target.token : tokenOf(caller, world);
    const answer = await gql('mutation($id: ID) { logoutEverywhere(userId: $id) }', { id: target.id }, token);
    return fromGraphql(answer, 'logoutEverywhere');
  },
  // Every caller changes its own password (its own address), so each acts as a fresh account of its kind.
  'Mutation.changePassword': async (caller, world) => {
    const answer = await gql(
      'mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token } }',
      { input: { currentPassword: PASSWORD, newPassword: 'a new contract password' } },
      await freshAccountOf(caller, world, 'password'),
    );
    return fromGraphql(answer, 'changePassword');
  },
  'Mutation.deleteMe': async (caller, world) => {
    const answer = await gql(
      'mutation($p: String!) { deleteMe(currentPassword: $p) }',
      { p: PASSWORD },
      await freshAccountOf(caller, world, 'deletion'),
    );
    return fromGraphql(answer, 'deleteMe');
  },
  'Mutation.deleteUser': asks('deleteUser', 'mutation($id: ID!) { deleteUser(id: $id) }', async () => ({
    id: (await registerCustomer('deletion-target')).id,
  })),
  'Mutation.requestEmailChange': async (caller, world) => {
    const answer = await gql(
      'mutation($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) }',
      { input: { newEmail: uniqueEmail(`moved-${caller}`), currentPassword: PASSWORD } },
      await freshAccountOf(caller, world, 'email-change'),
    );
    return fromGraphql(answer, 'requestEmailChange');
  },
  'Mutation.setUserRole': asks(
    'setUserRole',
    'mutation($id: ID!) { setUserRole(id: $id, role: CUSTOMER) { id } }',
    async () => ({
      id: (await registerCustomer('role-target')).id,
    }),
  ),
  'Mutation.createProduct': asks(
    'createProduct',
    'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    () => ({ input: { name: uniqueName('Matrix'), price: '1.00', category: uniqueName('matrix') } }),
  ),
  'Mutation.updateProduct': asks(
    'updateProduct',
    'mutation($id: ID!) { updateProduct(id: $id, input: { description: "changed by the matrix" }) { id } }',
    (world) => ({ id: world.product.id }),
  ),
  'Mutation.createOrder': asks(
    'createOrder',
    'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
    (world) => ({ input: { items: [{ productId: world.product.id, quantity: 1 }], shippingAddress: ADDRESS } }),
  ),
  'Mutation.createOrderAttempt': asks(
    'createOrderAttempt',
    'mutation($input: CreateOrderInput!) { createOrderAttempt(input: $input) { order { id } } }',
    (world) => ({
      input: {
        items: [{ productId: world.product.id, quantity: 1 }],
        shippingAddress: ADDRESS,
        idempotencyKey: randomUUID(),
      },
    }),
  ),
  'Mutation.updateOrderStatus': asks('updateOrderStatus', MOVE, async (world) => ({
    id: await freshOrder(world),
    status: 'CANCELLED',
  })),
  'Mutation.processPayment': asks(
    'processPayment',
    'mutation($input: ProcessPaymentInput!) { processPayment(input: $input) { id } }',
    async (world) => ({ input: await paymentInput(world) }),
  ),
  'Mutation.processPaymentAttempt': asks(
    'processPaymentAttempt',
    'mutation($input: ProcessPaymentInput!) { processPaymentAttempt(input: $input) { payment { id } } }',
    async (world) => ({ input: await paymentInput(world) }),
  ),
  'Mutation.reserveStock': asks(
    'reserveStock',
    'mutation($o: ID!, $p: ID!) { reserveStock(orderId: $o, items: [{ productId: $p, quantity: 1 }]) { productId } }',
    (world) => ({ o: randomUUID(), p: world.product.id }),
  ),
  'Mutation.releaseStock': asks('releaseStock', 'mutation($o: ID!) { releaseStock(orderId: $o) }', (world) => ({
    o: world.orderId,
  })),
  'Mutation.confirmStock': asks('confirmStock', 'mutation($o: ID!) { confirmStock(orderId: $o) }', (world) => ({
    o: world.orderId,
  })),

  // ── Subscription ──
  'Subscription.orderStatusChanged': watchAs(WATCH, 'orderStatusChanged', (changed) => changed.id),
  'Subscription.paymentStatusChanged': watchAs(WATCH_PAYMENT, 'paymentStatusChanged', (changed) => changed.order.id),

  // ── Entity fields contributed by another subgraph, reached through their parent ──
  'Order.user': asks(
    'order',
    'query($id: ID!) { order(id: $id) { user { id } } }',
    (world) => ({ id: world.orderId }),
    (order, world) => order.user.id === world.owner.id,
  ),
  'Order.payment': asks(
    'order',
    'query($id: ID!) { order(id: $id) { payment { id } } }',
    (world) => ({ id: world.orderId }),
    (order, world) => order.payment?.id === world.paymentId,
  ),
  'Payment.order': asks(
    'payment',
    'query($id: ID!) { payment(id: $id) { order { id } } }',
    (world) => ({ id: world.paymentId }),
    (payment, world) => payment.order.id === world.orderId,
  ),
  'User.orders': asks(
    'user',
    'query($id: ID!) { user(id: $id) { orders(first: 100) { edges { node { id } } } } }',
    (world) => ({ id: world.owner.id }),
    (user, world) => ids(user.orders).includes(world.orderId),
  ),
  'User.notifications': asks(
    'user',
    'query($id: ID!) { user(id: $id) { notifications { id } } }',
    (world) => ({ id: world.owner.id }),
    // Only the newest few are listed, and the owner's other probes keep adding some: any is the owner's.
    (user) => user.notifications.length > 0,
  ),

  // ── REST shims ──
  'POST /api/users/register': calls('POST', '/users/register', () => ({ body: customerInput() })),
  'POST /api/users/login': calls('POST', '/users/login', async () => ({
    body: { email: (await credentialsOwner()).email, password: PASSWORD },
  })),
  'POST /api/users/password-reset': calls('POST', '/users/password-reset', async () => ({
    body: { email: (await credentialsOwner()).email },
  })),
  'POST /api/users/password-reset/confirm': calls('POST', '/users/password-reset/confirm', async () => ({
    body: await resetLink(),
  })),
  'GET /api/users/{id}': calls(
    'GET',
    (world) => `/users/${world.owner.id}`,
    undefined,
    (user, world) => user.id === world.owner.id,
  ),
  'POST /api/users/me/deletion': async (caller, world) => {
    const token = await freshAccountOf(caller, world, 'rest-deletion');
    return fromRest(await rest('POST', '/users/me/deletion', { body: { currentPassword: PASSWORD }, token }));
  },
  'DELETE /api/users/{id}': calls(
    'DELETE',
    async () => `/users/${(await registerCustomer('rest-deletion-target')).id}`,
  ),
  'GET /api/products': calls('GET', '/products?limit=1'),
  'POST /api/products': calls('POST', '/products', () => ({
    body: { name: uniqueName('Matrix'), price: 1.5, category: uniqueName('matrix') },
  })),
  'PATCH /api/products/{id}': calls(
    'PATCH',
    (world) => `/products/${world.product.id}`,
    () => ({ body: { description: 'patched by the matrix' } }),
  ),
  'POST /api/orders': calls('POST', '/orders', (world) => ({
    body: { items: [{ productId: world.product.id, quantity: 1 }], shippingAddress: ADDRESS },
  })),
  'GET /api/orders/{id}': calls(
    'GET',
    (world) => `/orders/${world.orderId}`,
    undefined,
    (order, world) => order.id === world.orderId,
  ),
  'PATCH /api/orders/{id}': calls(
    'PATCH',
    async (world) => `/orders/${await freshOrder(world)}`,
    () => ({ body: { status: 'CANCELLED' } }),
  ),
  'POST /api/payments': calls('POST', '/payments', async (world) => ({
    body: { orderId: await freshOrder(world), paymentMethod: 'card' },
    headers: { 'idempotency-key': randomUUID() },
  })),
  'GET /api/payments/{id}': calls(
    'GET',
    (world) => `/payments/${world.paymentId}`,
    undefined,
    (payment, world) => payment.id === world.paymentId,
  ),
};
