import { orderStatusChanged } from './order-status-changed.subscription.js';
import { paymentStatusChanged } from './payment-status-changed.subscription.js';
import type { SubscriptionDeclaration } from './subscription-declaration.js';

/** Every subscription the gateway serves; each is also a `Subscription` field of a subgraph's SDL. */
export const declaredSubscriptions: readonly SubscriptionDeclaration[] = [orderStatusChanged, paymentStatusChanged];
