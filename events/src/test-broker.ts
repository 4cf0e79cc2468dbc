/** The test broker: the `shop_test` vhost, or TEST_AMQP_URL (a vhost of one's own beside another run). */
export const TEST_AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/shop_test';
export { type PrivateBroker, startPrivateBroker } from './private.test-broker.js';
