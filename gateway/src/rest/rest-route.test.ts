import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRoute, routesRouter } from './rest-route.js';

// A template listed before a path it also matches: the path's own methods and its 405 still win.
const routes = [
  defineRoute({
    method: 'get',
    path: '/things/{id}',
    operationId: 'thing',
    summary: 'a thing',
    tag: 'things',
    access: 'public',
    response: { status: 200, description: 'the thing' },
    errors: [],
    handle: async () => ({ status: 204 }),
  }),
  defineRoute({
    method: 'post',
    path: '/things/new',
    operationId: 'newThing',
    summary: 'a new thing',
    tag: 'things',
    access: 'public',
    response: { status: 201, description: 'made' },
    errors: [],
    handle: async () => ({ status: 201, body: { made: true } }),
  }),
];

let base = '';
let close = () => {};
beforeAll(async () => {
  const app = express().use(routesRouter(routes, async () => ({}) as never));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

describe('routesRouter', () => {
  it('routes a path without parameters before a template that matches it, whatever the order of the list', async () => {
    expect((await fetch(`${base}/things/new`, { method: 'POST' })).status).toBe(201);
    const other = await fetch(`${base}/things/new`);
    expect([other.status, other.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await fetch(`${base}/things/t1`)).status).toBe(204);
  });
});
