import type { ConfirmChannel, GetMessage, MessageProperties, Options } from 'amqplib';

/** Where a moved message goes, and with which properties. */
export interface MessageCopy {
  exchange: string;
  routingKey: string;
  options: Options.Publish;
}

/**
 * Moves the messages of `queue` one at a time: each copy is published mandatory and confirmed, and
 * only then is the original acked, so a crash in between leaves a duplicate, never a loss. A copy
 * the broker returns (nothing bound to its routing key) stops the move with its original still in
 * the queue. `copyOf` answering undefined keeps a message (held unacked until the channel closes,
 * then back in its queue, in order). At most `limit` messages are taken, moved or kept: a queue
 * that a moved message can come back to (a replayed message parked again) then still ends the move.
 * Returns the messages moved.
 */
export async function moveMessages(
  channel: ConfirmChannel,
  queue: string,
  copyOf: (message: GetMessage) => MessageCopy | undefined,
  limit = Number.POSITIVE_INFINITY,
): Promise<GetMessage[]> {
  // The broker sends basic.return before the confirm of the same message.
  let returned = false;
  const onReturn = () => {
    returned = true;
  };
  channel.on('return', onReturn);
  try {
    const moved: GetMessage[] = [];
    for (let taken = 0; taken < limit; taken++) {
      const message = await channel.get(queue);
      if (!message) break;
      const copy = copyOf(message);
      if (!copy) continue;
      returned = false;
      channel.publish(copy.exchange, copy.routingKey, message.content, { ...copy.options, mandatory: true });
      await channel.waitForConfirms();
      if (returned)
        throw new Error(`${copy.exchange} routes nothing for '${copy.routingKey}'; message kept in ${queue}`);
      channel.ack(message);
      moved.push(message);
    }
    return moved;
  } finally {
    channel.off('return', onReturn);
  }
}

/**
 * A message's properties as published, for a copy that should look like the original (its
 * `expiration` included). Without `userId`: the broker checks it against the publishing user, who is
 * the mover now.
 */
export function publishedProperties(properties: MessageProperties): Options.Publish {
  const { contentType, contentEncoding, headers, priority, correlationId, replyTo } = properties;
  const { expiration, messageId, timestamp, type, appId } = properties;
  return {
    persistent: properties.deliveryMode !== 1,
    ...{ contentType, contentEncoding, headers, priority, correlationId, replyTo },
    ...{ expiration, messageId, timestamp, type, appId },
  };
}

/**
 * A failed delivery's properties for its copy in a retry or dead-letter queue, with the bus's own
 * headers set. The broker's x-death bookkeeping is re-added on each dead-lettering; copies start clean.
 */
export function forwardedProperties(
  properties: MessageProperties,
  headers: Record<string, unknown>,
  expiration?: string,
): Options.Publish {
  const kept = Object.entries(properties.headers ?? {}).filter(([key]) => !/^x-(first-|last-)?death/.test(key));
  return {
    persistent: true,
    contentType: properties.contentType as string | undefined,
    messageId: properties.messageId as string | undefined,
    type: properties.type as string | undefined,
    timestamp: properties.timestamp as number | undefined,
    headers: { ...Object.fromEntries(kept), ...headers },
    ...(expiration ? { expiration } : {}),
  };
}
