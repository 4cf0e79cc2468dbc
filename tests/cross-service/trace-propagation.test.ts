// Cross-service: the gateway's public entry in front of subgraphs built from their own modules, in
// this process. It spans packages, so it lives here rather than inside the gateway's sources.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { EventBus } from '@shop/events';
import { OutboxRelay } from '@shop/platform/mongo';
import { startTracing, stopTracing } from '@shop/platform/telemetry';
import {
  TEST_AMQP_URL as AMQP_URL,
  connectTestMongo,
  createTestTokens,
  eventually,
  recordingLogger,
  serveTestSubgraph,
  silentLogger,
  type TestSubgraph,
  testContext,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, startUnrevokedTokenVersions } from '../../gateway/src/gateway.test-fixture.js';
import type { Gateway } from '../../gateway/src/index.js';
import { TestContactDirectory } from '../../subgraphs/notifications/src/contact/contact.test-directory.js';
import { LogSmsProvider } from '../../subgraphs/notifications/src/delivery/sms.provider.js';
import {
  startTestSmtpServer,
  type TestSmtpServer,
} from '../../subgraphs/notifications/src/delivery/smtp.test-server.js';
import {
  deleteTopology,
  type Pipeline,
  startPipeline,
} from '../../subgraphs/notifications/src/notifications.test-pipeline.js';
import { OrderModel } from '../../subgraphs/orders/src/order/order.model.js';
import { OrderService } from '../../subgraphs/orders/src/order/order.service.js';
import { PaymentsClient } from '../../subgraphs/orders/src/payment/payments.client.js';
import { ProductsClient } from '../../subgraphs/orders/src/product/products.client.js';
import { ordersSubgraph } from '../../subgraphs/orders/src/schema.js';
import { ProductService } from '../../subgraphs/products/src/product/product.service.js';
import { productsSubgraph } from '../../subgraphs/products/src/schema.js';
import { StockService } from '../../subgraphs/products/src/stock/stock.service.js';
import { connectTestDb } from '../../subgraphs/products/src/test-db.js';

/**
 * One trace across the system: the gateway, its fetch from the orders subgraph (real, in this
 * process), orders' calls to the products subgraph (real, on the real PostgreSQL), the order.created publish from the orders outbox, and the notifications consumers
 * (real pipeline). One tracer provider exports every process's spans to memory. Real RabbitMQ
 * (exchange and queues of this run only) and the real MongoDB-wire server.
 */
const SUPERGRAPH = fileURLToPath(new URL('../../supergraph.graphql', import.meta.url));
const run = randomUUID().slice(0, 8);
const exchange = `test.tracing.${run}`;
const queues = {
  events: `test.tracing.${run}.notifications`,
  email: `test.tracing.${run}.email`,
  sms: `test.tracing.${run}.sms`,
};
const retry = { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 100 };
const CUSTOMER = `u-${run}`;
const tokens = createTestTokens();
const spans = new InMemorySpanExporter();
const { log: gatewayLog, lines: gatewayLines } = recordingLogger('info', 'gateway');

let db: { drop: () => Promise<void> };
const catalogue = connectTestDb();
let products: TestSubgraph;
let book: string;
let ordersBus: EventBus;
let relay: OutboxRelay;
let orders: TestSubgraph;
let smtp: TestSmtpServer;
let notifications: Pipeline;
let gateway: Gateway;
let gatewayPort: number;
let tokenVersions: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  // First: startSubgraph and createGateway then keep this provider rather than read OTEL_*.
  await startTracing('trace-test', { exporter: spans });
  db = await connectTestMongo('tracing');
  const productService = new ProductService(catalogue.db);
  const admin = testContext({ id: 'admin-trace', role: 'ADMIN' }, { products: productService });
  book = (
    await productService.create(admin, { name: 'Book', price: '19.99', category: catalogue.category, inventory: 10 })
  ).id;
  products = await serveTestSubgraph(
    productsSubgraph,
    { products: productService, stock: new StockService(catalogue.db) },
    tokens,
  );
  ordersBus = new EventBus({ url: AMQP_URL, exchange, log: silentLogger, connectionName: 'orders-trace-test' });
  relay = new OutboxRelay([OrderModel], ordersBus, silentLogger, 100);
  orders = await serveTestSubgraph(
    ordersSubgraph,
    {
      orders: new OrderService(
        // Payments is asked only by the expiry sweep, which this test does not run.
        {
          products: new ProductsClient(products.url, tokens),
          payments: new PaymentsClient('http://127.0.0.1:9/graphql', tokens),
        },
        relay,
      ),
    },
    tokens,
  );
  smtp = await startTestSmtpServer();
  notifications = await startPipeline({
    url: AMQP_URL,
    exchange,
    queues,
    contacts: new TestContactDirectory().add(CUSTOMER, { email: 'ada@example.com' }),
    smtpUrl: smtp.url,
    sms: new LogSmsProvider(silentLogger),
    retry,
  });
  relay.start();
  tokenVersions = await startUnrevokedTokenVersions();
  ({ gateway, port: gatewayPort } = await startTestGateway(
    { SUPERGRAPH_PATH: SUPERGRAPH, AMQP_EXCHANGE: exchange, ORDERS_URL: orders.url, USERS_URL: tokenVersions.url },
    gatewayLog,
  ));
});

afterAll(async () => {
  await gateway?.close();
  await tokenVersions?.close();
  await notifications?.close();
  await relay?.stop();
  await orders?.close();
  await ordersBus?.close();
  await deleteTopology(AMQP_URL, exchange, Object.values(queues), retry.maxAttempts - 1);
  await smtp?.close();
  await products?.close();
  await catalogue.cleanup();
  await db?.drop();
  await stopTracing();
});

const CREATE_ORDER = `mutation Place($input: CreateOrderInput!) { createOrder(input: $input) { id status } }`;
const address = { street: '1 Main St', city: 'Springfield', state: 'IL', zipCode: '62701', country: 'US' };

const one = (found: ReadableSpan[], what: string): ReadableSpan => {
  expect(found, what).toHaveLength(1);
  return found[0] as ReadableSpan;
};
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('tracing across the gateway, a subgraph, RabbitMQ and a consumer', () => {
  it('carries one trace id from the gateway request to the notifications consumer, each span under its cause', async () => {
    const response = await fetch(`http://127.0.0.1:${gatewayPort}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await tokens.sign({ id: CUSTOMER, role: 'CUSTOMER' })}`,
      },
      body: JSON.stringify({
        query: CREATE_ORDER,
        variables: { input: { items: [{ productId: book, quantity: 1 }], shippingAddress: address } },
      }),
    });
    const body = (await response.json()) as { data?: { createOrder: { id: string } }; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    const orderId = body.data?.createOrder.id as string;
    // The customer's e-mail is the end of the line: order.created → notification → notification.email → SMTP.
    await eventually(() => smtp.received.some((mail) => mail.subject.endsWith(` ${orderId}`)));
    const emailDelivery = await eventually(() =>
      spans
        .getFinishedSpans()
        .find(
          (span) =>
            span.name === 'process notification.email' &&
            span.attributes['messaging.destination.subscription.name'] === queues.email,
        ),
    );

    const finished = spans.getFinishedSpans();
    const gatewayRequest = one(
      finished.filter((span) => span.kind === SpanKind.SERVER && span.attributes['server.port'] === gatewayPort),
      'gateway server span',
    );
    const traceId = gatewayRequest.spanContext().traceId;
    const inTrace = finished.filter((span) => span.spanContext().traceId === traceId);
    const byId = new Map(inTrace.map((span) => [idOf(span), span]));
    const ancestors = (span: ReadableSpan): string[] => {
      const parent = byId.get(parentOf(span) ?? '');
      return parent ? [idOf(parent), ...ancestors(parent)] : [];
    };

    expect(gatewayRequest.name).toBe('POST /graphql');
    expect(gatewayRequest.parentSpanContext).toBeUndefined();
    // The gateway's access log line carries the ids of the request's span.
    expect(gatewayLines.find((line) => line.msg === 'request' && line.path === '/graphql')).toMatchObject({
      trace_id: traceId,
      span_id: idOf(gatewayRequest),
    });
    const fetchOrders = one(
      inTrace.filter((span) => span.name === 'subgraph orders'),
      'the gateway’s fetch from orders',
    );
    expect(fetchOrders.kind).toBe(SpanKind.CLIENT);
    expect(ancestors(fetchOrders)).toContain(idOf(gatewayRequest));
    // Across HTTP: traceparent from the gateway's fetch to the subgraph's server span.
    const ordersRequest = one(
      inTrace.filter(
        (span) => span.kind === SpanKind.SERVER && span.attributes['server.port'] === Number(new URL(orders.url).port),
      ),
      'orders server span',
    );
    expect(parentOf(ordersRequest)).toBe(idOf(fetchOrders));
    // Two calls to products, reserveStock then confirmStock, each a child of the orders request.
    const productsCalls = inTrace.filter(
      (span) => span.kind === SpanKind.CLIENT && span.attributes['url.full'] === products.url,
    );
    expect(productsCalls, 'orders’ calls to products').toHaveLength(2);
    for (const call of productsCalls) expect(parentOf(call)).toBe(idOf(ordersRequest));
    // Across HTTP again: each call is the parent of a products server span.
    const productsRequests = inTrace.filter(
      (span) => span.kind === SpanKind.SERVER && span.attributes['server.port'] === Number(new URL(products.url).port),
    );
    expect(productsRequests.map(parentOf).sort()).toEqual(productsCalls.map(idOf).sort());
    // Through the outbox: recorded in the request, published later by the relay, still its child.
    const publish = one(
      inTrace.filter((span) => span.name === 'publish order.created'),
      'order.created publish',
    );
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(publish)).toBe(idOf(ordersRequest));
    // Across RabbitMQ: traceparent in the message headers.
    const consume = one(
      inTrace.filter(
        (span) =>
          span.name === 'process order.created' &&
          span.attributes['messaging.destination.subscription.name'] === queues.events,
      ),
      'notifications consumer span',
    );
    expect(consume.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(consume)).toBe(idOf(publish));
    // And on: the notification's own event, recorded while consuming, and its delivery.
    expect(emailDelivery.spanContext().traceId).toBe(traceId);
    expect(ancestors(emailDelivery)).toEqual(expect.arrayContaining([idOf(consume), idOf(gatewayRequest)]));
  });
});
