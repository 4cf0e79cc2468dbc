import amqplib, { type ConfirmChannel } from 'amqplib';

/**
 * One short-lived connection and confirm channel for an operator's or a test's broker work; closing
 * it returns every message fetched and not acked to its queue, in order. A refused operation
 * rejects its own promise (the channel's 'error' event is heard, so it does not crash the process).
 */
export async function withChannel<T>(url: string, use: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => {});
    try {
      return await use(channel);
    } finally {
      // Closing the channel first is a round trip after its last frames: the broker has applied its
      // acks. Closing only the connection could drop the last one, and leave that message queued twice.
      await channel.close().catch(() => undefined);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}
