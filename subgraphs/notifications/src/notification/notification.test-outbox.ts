import type { EventEnvelope } from '@shop/events';
import { type Outbox } from '@shop/platform/mongo';

/** Test helper: the decider's publisher, keeping the send requests it was given instead of publishing them. */
export class RecordingOutbox implements Pick<Outbox, 'publishNow'> {
  readonly requests: EventEnvelope[] = [];

  async publishNow(_model: unknown, _documentId: unknown, events: EventEnvelope[]): Promise<void> {
    this.requests.push(...events);
  }

  /** The last send request published for a notification. */
  requestOf(notificationId: string): EventEnvelope {
    const request = this.requests.findLast(
      (event) => (event.data as { notificationId?: string }).notificationId === notificationId,
    );
    if (!request) throw new Error(`no send request for notification ${notificationId}`);
    return request;
  }
}
