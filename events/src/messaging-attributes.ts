/** OpenTelemetry's messaging attributes of a publish or a delivery. */
export function messagingAttributes(operation: 'send' | 'process', exchange: string, routingKey: string) {
  return {
    'messaging.system': 'rabbitmq',
    'messaging.operation.type': operation,
    'messaging.destination.name': exchange,
    'messaging.rabbitmq.destination.routing_key': routingKey,
  };
}
