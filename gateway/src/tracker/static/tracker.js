// The order tracker: plain DOM, the public GraphQL API over fetch, live status over graphql-ws.
// Data only ever reaches the page as textContent or attribute values, never as markup.
import { createClient } from '/tracker/vendor/graphql-ws/client.js';

// sessionStorage, not localStorage or a cookie: a reload keeps the user signed in, closing the tab
// forgets the token, other tabs and sites never see it, and the browser never sends it by itself
// (so no CSRF). The refresh token is not kept at all: when the access token expires, sign in again.
const SESSION_KEY = 'shop.tracker.session';
const ORDERS_SHOWN = 10; // below the gateway's 20 subscriptions per connection
const TERMINAL = new Set(['DELIVERED', 'CANCELLED']);

const ORDER_FIELDS = 'id status paymentStatus totalAmount items { quantity product { name } }';
const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { token user { email } } }`;
const MY_ORDERS = `query MyOrders($first: Int!) { orders(first: $first) { edges { node { ${ORDER_FIELDS} } } } }`;
const PRODUCTS = `query Catalogue($filter: ProductFilter!) {
  products(filter: $filter, first: 10) { edges { node { id name price inventory } } }
}`;
const CREATE_ORDER = `mutation PlaceOrder($input: CreateOrderInput!) { createOrder(input: $input) { ${ORDER_FIELDS} } }`;
const PAY = `mutation Pay($input: ProcessPaymentInput!) { processPayment(input: $input) { status failureReason } }`;
const REQUEST_RESET = `mutation RequestPasswordReset($email: String!) { requestPasswordReset(email: $email) }`;
const RESET_PASSWORD = `mutation ResetPassword($input: ResetPasswordInput!) { resetPassword(input: $input) { token user { email } } }`;
const VERIFY_EMAIL = `mutation VerifyEmail($token: String!) { verifyEmail(token: $token) }`;
const ORDER_STATUS = `subscription OrderStatus($orderId: ID!) { orderStatusChanged(orderId: $orderId, current: true) { ${ORDER_FIELDS} } }`;

const byId = (id) => document.getElementById(id);
const view = {
  error: byId('error'),
  notice: byId('notice'),
  announcer: byId('announcer'),
  session: byId('session'),
  sessionEmail: byId('session-email'),
  signIn: byId('sign-in'),
  signInForm: byId('sign-in-form'),
  forgotForm: byId('forgot-form'),
  forgotSent: byId('forgot-sent'),
  newPassword: byId('new-password'),
  newPasswordForm: byId('new-password-form'),
  signedIn: byId('signed-in'),
  liveState: byId('live-state'),
  orders: byId('orders'),
  noOrders: byId('no-orders'),
  products: byId('products'),
  noProducts: byId('no-products'),
  searchForm: byId('search-form'),
  orderForm: byId('order-form'),
  orderTemplate: byId('order-template'),
  productTemplate: byId('product-template'),
};

/** @type {{ token: string, email: string } | null} */
let session = null;
let live = null;
/** orderId → { element, order, dispose } */
const shown = new Map();
/** `${orderId} ${method}` → the idempotency key of a payment not yet answered, reused on retry. */
const paymentKeys = new Map();
/** The order form's input (as JSON) → the idempotency key of an order not yet answered, reused on retry. */
const orderKeys = new Map();

class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

async function graphql(query, variables) {
  const headers = { 'content-type': 'application/json' };
  if (session) headers.authorization = `Bearer ${session.token}`;
  const response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await response
    .json()
    .catch(() => ({ errors: [{ message: `The server answered ${response.status}.` }] }));
  const [first] = body.errors ?? [];
  if (first) {
    const code = first.extensions?.code;
    if (code === 'UNAUTHENTICATED' && session) signOut('Your session has ended. Please sign in again.');
    throw new ApiError(first.message, code);
  }
  return body.data;
}

function showError(message) {
  view.error.textContent = message;
}

function announce(message) {
  view.announcer.textContent = message;
}

/** Runs a form's action with its submit button disabled; failures show in the alert region. */
function onSubmit(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    showError('');
    try {
      await action(new FormData(form));
    } catch (error) {
      showError(error instanceof ApiError ? error.message : 'The shop cannot be reached. Please try again.');
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- session

function startSession(next) {
  session = next;
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  view.sessionEmail.textContent = session.email;
  view.session.hidden = false;
  view.signIn.hidden = true;
  view.newPassword.hidden = true;
  view.signedIn.hidden = false;
  live = createClient({
    url: `${location.origin.replace(/^http/, 'ws')}/graphql`,
    connectionParams: () => ({ authorization: `Bearer ${session?.token}` }),
    lazy: false,
    retryAttempts: 10,
    onNonLazyError: () => {
      view.liveState.textContent = 'off (reload the page to try again)';
    },
    on: {
      connected: (_socket, _payload, wasRetry) => {
        view.liveState.textContent = 'on';
        // Events sent while the socket was down are gone: read the current state again.
        if (wasRetry) loadOrders().catch(() => undefined);
      },
      closed: () => {
        view.liveState.textContent = 'reconnecting…';
      },
    },
  });
  return Promise.all([loadOrders(), searchCatalogue('')]);
}

function signOut(reason) {
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
  for (const entry of shown.values()) entry.dispose?.();
  shown.clear();
  paymentKeys.clear();
  orderKeys.clear();
  live?.dispose();
  live = null;
  view.orders.replaceChildren();
  view.products.replaceChildren();
  view.session.hidden = true;
  view.signedIn.hidden = true;
  view.signIn.hidden = false;
  view.liveState.textContent = 'connecting…';
  showError(reason ?? '');
  byId('sign-in-title').focus();
}

// ---------------------------------------------------------------- orders

const shortId = (id) => id.slice(-6).toUpperCase();
const describeItems = (order) =>
  order.items.map((item) => `${item.quantity} × ${item.product?.name ?? 'unknown product'}`).join(', ');
const payable = (order) => order.status === 'PENDING' && order.paymentStatus !== 'SUCCEEDED';

async function loadOrders() {
  const data = await graphql(MY_ORDERS, { first: ORDERS_SHOWN });
  const orders = data.orders.edges.map((edge) => edge.node);
  const stale = new Set(shown.keys());
  for (const order of [...orders].reverse()) {
    stale.delete(order.id);
    showOrder(order, { announce: false });
  }
  for (const id of stale) removeOrder(id);
  view.noOrders.hidden = shown.size > 0;
}

/** Adds the order at the top of the list, or updates its row; watches it until it is final. */
function showOrder(order, options) {
  let entry = shown.get(order.id);
  if (!entry) {
    const element = view.orderTemplate.content.firstElementChild.cloneNode(true);
    entry = { element, order };
    shown.set(order.id, entry);
    element.dataset.orderId = order.id;
    element.querySelector('.order-title').textContent = `Order ${shortId(order.id)}`;
    element.querySelector('.order-items').textContent = describeItems(order);
    const form = element.querySelector('.pay-form');
    onSubmit(form, (fields) => pay(order.id, String(fields.get('paymentMethod'))));
    view.orders.prepend(element);
    view.noOrders.hidden = true;
  }
  const before = entry.order.status;
  entry.order = order;
  const { element } = entry;
  const status = element.querySelector('.status');
  status.textContent = order.status;
  status.dataset.status = order.status;
  element.querySelector('.payment-status').textContent = order.paymentStatus;
  element.querySelector('.total').textContent = order.totalAmount;
  element.querySelector('.pay-button').textContent = `Pay ${order.totalAmount}`;
  element.querySelector('.pay-form').hidden = !payable(order);
  if (options.announce && before !== order.status) announce(`Order ${shortId(order.id)} is now ${order.status}.`);

  if (TERMINAL.has(order.status)) {
    entry.dispose?.();
    entry.dispose = undefined;
  } else if (!entry.dispose && live) {
    entry.dispose = watch(order.id);
  }
  while (shown.size > ORDERS_SHOWN) removeOrder(view.orders.lastElementChild.dataset.orderId);
}

function removeOrder(id) {
  const entry = shown.get(id);
  if (!entry) return;
  entry.dispose?.();
  entry.element.remove();
  shown.delete(id);
}

function watch(orderId) {
  return live.subscribe(
    { query: ORDER_STATUS, variables: { orderId } },
    {
      next: ({ data, errors }) => {
        if (data?.orderStatusChanged) showOrder(data.orderStatusChanged, { announce: true });
        else if (errors?.length) showError(errors[0].message);
      },
      error: () => {
        const entry = shown.get(orderId);
        if (entry) entry.dispose = undefined;
        if (session) showError(`Live updates for order ${shortId(orderId)} stopped. Reload to try again.`);
      },
      complete: () => undefined,
    },
  );
}

async function placeOrder(fields) {
  const productId = fields.get('productId');
  if (!productId) throw new ApiError('Choose a product first.');
  const text = (name) => String(fields.get(name) ?? '').trim();
  const input = {
    items: [{ productId: String(productId), quantity: Number(fields.get('quantity')) }],
    shippingAddress: {
      street: text('street'),
      city: text('city'),
      state: text('state'),
      zipCode: text('zipCode'),
      country: text('country'),
    },
  };
  // A retry after a lost answer sends the same key, so the order is placed (and stock taken) once.
  const data = await withIdempotencyKey(orderKeys, JSON.stringify(input), (idempotencyKey) =>
    graphql(CREATE_ORDER, { input: { ...input, idempotencyKey } }),
  );
  const order = data.createOrder;
  showOrder(order, { announce: false });
  announce(
    `Order ${shortId(order.id)} placed: ${describeItems(order)}, total ${order.totalAmount}. It waits for payment.`,
  );
  shown.get(order.id)?.element.querySelector('.order-title').focus();
  await searchCatalogue(String(new FormData(view.searchForm).get('search') ?? ''));
}

/** A random key per attempt (crypto.randomUUID needs a secure context, getRandomValues does not). */
const newIdempotencyKey = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');

/** Sends with the key of `attempt` not yet answered (a new one the first time); forgets it once answered. */
async function withIdempotencyKey(keys, attempt, send) {
  const key = keys.get(attempt) ?? newIdempotencyKey();
  keys.set(attempt, key);
  const answer = await send(key);
  keys.delete(attempt);
  return answer;
}

async function pay(orderId, paymentMethod) {
  // A retry after a lost answer sends the same key, so the payment is charged at most once.
  const data = await withIdempotencyKey(paymentKeys, `${orderId} ${paymentMethod}`, (idempotencyKey) =>
    graphql(PAY, { input: { orderId, paymentMethod, idempotencyKey } }),
  );
  const payment = data.processPayment;
  const entry = shown.get(orderId);
  if (entry) showOrder({ ...entry.order, paymentStatus: payment.status }, { announce: false });
  if (payment.status === 'FAILED') {
    showError(`Payment for order ${shortId(orderId)} failed: ${payment.failureReason ?? 'declined'}.`);
  } else {
    announce(`Payment for order ${shortId(orderId)} ${payment.status.toLowerCase()}.`);
  }
}

// ---------------------------------------------------------------- catalogue

let latestSearch = 0;

async function searchCatalogue(search) {
  const filter = { inStock: true, ...(search.trim() ? { search: search.trim() } : {}) };
  const request = ++latestSearch;
  const data = await graphql(PRODUCTS, { filter });
  if (request !== latestSearch) return; // a later search owns the list, even if it answers first
  const chosen = new FormData(view.orderForm).get('productId');
  const items = data.products.edges.map(({ node }) => {
    const item = view.productTemplate.content.firstElementChild.cloneNode(true);
    const radio = item.querySelector('input');
    radio.value = node.id;
    radio.checked = node.id === chosen;
    item.querySelector('.product-name').textContent = node.name;
    item.querySelector('.product-detail').textContent = `${node.price} · ${node.inventory} in stock`;
    return item;
  });
  view.products.replaceChildren(...items);
  view.noProducts.hidden = items.length > 0;
}

// ---------------------------------------------------------------- start

onSubmit(view.signInForm, async (fields) => {
  const data = await graphql(LOGIN, { input: { email: fields.get('email'), password: fields.get('password') } });
  view.signInForm.reset();
  await startSession({ token: data.login.token, email: data.login.user.email });
  byId('orders-title').focus();
});
onSubmit(view.forgotForm, async (fields) => {
  await graphql(REQUEST_RESET, { email: fields.get('email') });
  view.forgotForm.reset();
  view.forgotSent.hidden = false;
  announce(view.forgotSent.textContent);
});
// An emailed link's token comes in the fragment (#token=…), which no request carries; it leaves the
// address bar at once, so it is neither kept in the history nor shown to someone looking at the screen.
// At /verify-email it confirms an address; anywhere else (/reset-password) it sets a new password.
const linkToken = new URLSearchParams(location.hash.slice(1)).get('token');
if (linkToken) history.replaceState(null, '', location.pathname);
const confirmingEmail = Boolean(linkToken) && location.pathname === '/verify-email';
const resetToken = confirmingEmail ? null : linkToken;
if (resetToken) {
  view.signIn.hidden = true;
  view.newPassword.hidden = false;
  byId('new-password-title').focus();
}
if (confirmingEmail) {
  graphql(VERIFY_EMAIL, { token: linkToken }).then(
    () => {
      view.notice.textContent = 'Your email address is confirmed. Thank you!';
      announce(view.notice.textContent);
    },
    (error) => showError(error.message),
  );
}
onSubmit(view.newPasswordForm, async (fields) => {
  const input = { token: resetToken, newPassword: fields.get('newPassword') };
  const data = await graphql(RESET_PASSWORD, { input });
  view.newPasswordForm.reset();
  await startSession({ token: data.resetPassword.token, email: data.resetPassword.user.email });
  announce('Your new password is set; every other session has ended.');
  byId('orders-title').focus();
});
onSubmit(view.searchForm, (fields) => searchCatalogue(String(fields.get('search') ?? '')));
onSubmit(view.orderForm, placeOrder);
byId('sign-out').addEventListener('click', () => signOut());

const saved = sessionStorage.getItem(SESSION_KEY);
if (saved && !resetToken) startSession(JSON.parse(saved)).catch((error) => showError(error.message));
