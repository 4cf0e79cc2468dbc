import { randomUUID } from 'node:crypto';
import { effectClaimModel } from '@shop/platform/mongo';
import { silentLogger } from '@shop/platform/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { OrderModel } from './order.model.js';
import { ada, address, BOOK, bob, type OrdersFixture, PEN, RARE, startOrdersFixture } from './order.test-fixture.js';
import { OrderStatus } from './order.type.js';

let fx: OrdersFixture;
beforeAll(async () => {
  fx = await startOrdersFixture();
});
afterEach(() => {
  fx.products.afterReserve = undefined;
  fx.products.beforeConfirm = undefined;
});
afterAll(() => fx.close());

const request = (idempotencyKey: string, items = [{ productId: BOOK, quantity: 2 }]) => ({
  items,
  shippingAddress: address,
  idempotencyKey,
});
const system = { requestId: 'order-request-keys-test', log: silentLogger };
const attempt = (input: ReturnType<typeof request>, principal = ada) => fx.orders.attempt(fx.as(principal), input);
const storedWithKey = (key: string) => OrderModel.find({ idempotencyKey: key }).lean();
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('the request was accepted'),
    (error: { extensions?: Record<string, unknown> }) => error.extensions,
  );

describe('createOrder with an idempotency key', () => {
  it('answers a repeat of the request with the order it placed, reserving nothing again', async () => {
    const key = randomUUID();
    const stockBefore = fx.products.stock.get(BOOK) ?? 0;
    const first = await attempt(request(key));
    // The same request as a client would send it again: lines in another spelling, text untrimmed.
    const again = await attempt({
      ...request(key, [
        { productId: BOOK.toUpperCase(), quantity: 1 },
        { productId: BOOK, quantity: 1 },
      ]),
      shippingAddress: { ...address, city: ` ${address.city} ` },
    });

    expect(first.replayed).toBe(false);
    expect(again).toEqual({ order: first.order, replayed: true });
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore - 2);
    expect(await storedWithKey(key)).toHaveLength(1);
    // createOrder answers the same order, as a replay of the key.
    expect((await fx.orders.create(fx.as(ada), request(key))).id).toBe(first.order.id);
  });

  it('refuses the key for a different request, and reserves nothing for it', async () => {
    const key = randomUUID();
    await attempt(request(key));
    const stockBefore = fx.products.stock.get(PEN) ?? 0;

    expect(await rejection(attempt(request(key, [{ productId: PEN, quantity: 1 }])))).toMatchObject({
      code: 'CONFLICT',
      field: 'idempotencyKey',
    });
    expect(
      await rejection(attempt({ ...request(key), shippingAddress: { ...address, zipCode: '10001' } })),
    ).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect(fx.products.stock.get(PEN)).toBe(stockBefore);
    expect(await storedWithKey(key)).toHaveLength(1);
  });

  it('keeps keys per customer: the same key from another customer places their own order', async () => {
    const key = randomUUID();
    const adas = await attempt(request(key));
    const bobs = await attempt(request(key), bob);

    expect(bobs.replayed).toBe(false);
    expect(bobs.order.id).not.toBe(adas.order.id);
    expect(bobs.order.user).toEqual({ id: bob.id });
  });

  it('tells a request (to another replica) whose key is still placing its order to retry, then replays the order', async () => {
    const key = randomUUID();
    let reserved!: () => void;
    const paused = new Promise<void>((resolve) => {
      reserved = resolve;
    });
    let resume!: () => void;
    fx.products.afterReserve = () => {
      reserved();
      return new Promise<void>((resolve) => {
        resume = resolve;
      });
    };
    const first = attempt(request(key));
    await paused;

    // Another replica (its own memory, the same database): the key's claim is in the database.
    const replica = fx.replica();
    expect(await rejection(replica.attempt(fx.as(ada), request(key)))).toMatchObject({
      code: 'CONFLICT',
      field: 'idempotencyKey',
      reason: 'IDEMPOTENCY_KEY_IN_USE',
    });
    resume();
    const placed = await first;
    expect(await replica.attempt(fx.as(ada), request(key))).toEqual({ order: placed.order, replayed: true });
    expect(await storedWithKey(key)).toHaveLength(1);
  });

  it('gives the key back when the create fails before storing its order: the retry places it', async () => {
    const key = randomUUID();
    fx.products.stock.set(RARE, 0);
    expect(await rejection(attempt(request(key, [{ productId: RARE, quantity: 1 }])))).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
    });

    fx.products.stock.set(RARE, 1);
    const retried = await attempt(request(key, [{ productId: RARE, quantity: 1 }]));
    expect(retried.replayed).toBe(false);
    expect(fx.products.stock.get(RARE)).toBe(0);
  });

  it('gives the key back when the create fails after storing its order: that order is cancelled, the retry places a new one', async () => {
    const key = randomUUID();
    let failed = '';
    fx.products.beforeConfirm = async (orderId) => {
      failed = orderId;
      fx.products.expire(orderId);
    };
    expect(await rejection(attempt(request(key)))).toMatchObject({ reason: 'STOCK_RESERVATION_EXPIRED' });
    fx.products.beforeConfirm = undefined;

    const retried = await attempt(request(key));
    expect(retried.replayed).toBe(false);
    expect(retried.order.id).not.toBe(failed);
    expect(await OrderModel.findById(failed).lean()).toMatchObject({ status: 'CANCELLED' });
    expect((await storedWithKey(key)).map((order) => order._id)).toEqual([retried.order.id]);
  });

  it('cancels an order whose insert committed but whose answer was lost: the retry places a new one', async () => {
    const key = randomUUID();
    const stockBefore = fx.products.stock.get(BOOK) ?? 0;
    const insert = OrderModel.create.bind(OrderModel);
    let lostId = '';
    const lostAnswer = vi.spyOn(OrderModel, 'create').mockImplementationOnce((async (
      ...args: Parameters<typeof insert>
    ) => {
      lostId = (args[0] as { _id: string })._id;
      await insert(...args);
      throw new Error('connection reset after the insert');
    }) as typeof OrderModel.create);
    try {
      await expect(attempt(request(key))).rejects.toThrow('connection reset after the insert');
    } finally {
      lostAnswer.mockRestore();
    }
    const lost = await OrderModel.findById(lostId).lean();
    expect(lost).toMatchObject({ status: 'CANCELLED' });
    expect(lost?.idempotencyKey).toBeUndefined();

    const retried = await attempt(request(key));
    expect(retried.replayed).toBe(false);
    expect(retried.order.id).not.toBe(lostId);
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore - 2);
  });

  it('frees the key of an order whose create died before confirming it, once the sweep cancels it: the retry places a new one', async () => {
    const key = randomUUID();
    const { order } = await attempt(request(key));
    // As a create that died after its insert leaves it, found by the sweep after products'
    // reservation lapsed (STOCK_RESERVATION_TTL, 5 min): unconfirmed, its key claimed that long ago.
    await OrderModel.collection.updateOne({ _id: order.id as never }, { $set: { stockConfirmed: false } });
    fx.products.confirmed.delete(order.id);
    fx.products.expire(order.id);
    const claim = `order-request:${ada.id}:${key}`;
    await effectClaimModel().updateOne({ key: claim }, { $set: { claimedAt: new Date(Date.now() - 5 * 60_000) } });

    expect((await fx.orders.expiry.sweepUnpaid(system, new Date(0))).expired).toEqual([order.id]);
    const retried = await attempt(request(key));
    expect(retried.replayed).toBe(false);
    expect(retried.order.id).not.toBe(order.id);
    expect(await OrderModel.findById(order.id).lean()).toMatchObject({ status: 'CANCELLED' });
    expect((await storedWithKey(key)).map((stored) => stored._id)).toEqual([retried.order.id]);
  });

  it('keeps the key of an order cancelled after it was placed: a repeat replays the cancelled order', async () => {
    const key = randomUUID();
    const { order } = await attempt(request(key));
    await fx.orders.updateStatus(fx.as(ada), order.id, OrderStatus.CANCELLED);

    expect(await attempt(request(key))).toMatchObject({ order: { id: order.id, status: 'CANCELLED' }, replayed: true });
  });

  it('takes over a key held by a process that died placing its order, but not a live one', async () => {
    const held = async (age: number) => {
      const key = randomUUID();
      const claim = `order-request:${ada.id}:${key}`;
      await effectClaimModel().create({
        _id: `${claim}#0`,
        key: claim,
        generation: 0,
        claimedAt: new Date(Date.now() - age),
      });
      return key;
    };

    expect(await rejection(attempt(request(await held(1_000))))).toMatchObject({ reason: 'IDEMPOTENCY_KEY_IN_USE' });
    expect((await attempt(request(await held(61_000)))).replayed).toBe(false);
  });

  it('without a key, the same request twice places two orders (as before keys existed)', async () => {
    const input = { items: [{ productId: PEN, quantity: 1 }], shippingAddress: address };
    const one = await fx.orders.attempt(fx.as(ada), input);
    const two = await fx.orders.attempt(fx.as(ada), input);
    expect(two.order.id).not.toBe(one.order.id);
    expect([one.replayed, two.replayed]).toEqual([false, false]);
  });
});
