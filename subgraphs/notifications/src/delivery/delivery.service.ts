import {
  type EventOf,
  failureText,
  type notificationEmail,
  type notificationSms,
  RejectedEventError,
} from '@shop/events';
import { EffectClaims, isDuplicateKeyError, withDocumentLock } from '@shop/platform/mongo';
import type { HeardDeletions } from '../contact/contact.directory.js';
import { isForgotten } from '../notification/forgotten-account.model.js';
import { NotificationModel, type NotificationRecord } from '../notification/notification.model.js';
import { NotificationChannel, NotificationStatus } from '../notification/notification.type.js';
import { type EmailTransport, PermanentSendError } from './email.transport.js';
import type { SendOutcome, SmsProvider } from './sms.provider.js';

type EmailRequest = EventOf<typeof notificationEmail>;
type SmsRequest = EventOf<typeof notificationSms>;
type Request = EmailRequest | SmsRequest;

const DOMAIN = 'shop.notifications';
/**
 * A send claimed longer ago than this, and not settled, is taken to be a dead sender's and may be
 * sent again (at least once). Above what a live send may take (SMTP_TIMEOUTS; an SMS provider
 * needs timeouts as short), well within the retry ladder's back-off (about 8.5 minutes by default),
 * so the redelivery of a crashed sender's message is retried in time rather than parked.
 */
export const SEND_CLAIM_TIMEOUT_MS = 60_000;

/** How far apart replicas' clocks may be (NTP keeps them far closer): a request's time is another's. */
const CLOCK_SKEW_MS = 1_000;

/** A process that hears no deletions (tests): every send asks the account's own mark. */
const NOTHING_HEARD: HeardDeletions = { heardDeleted: () => false, hearingSince: () => undefined };

/** What a notification record keeps of a confidential email's body: the send uses the request's own. */
export const CONFIDENTIAL_BODY = '(not kept: it held a one-time secret)';

/**
 * The senders: deliver a notification.email over SMTP and a notification.sms through the SMS
 * provider, recording each try on the notification. Each send is claimed first (`send:<id>` in
 * `effect_claims`, a unique insert, so it holds across replicas): of two consumers racing on one
 * message one sends, the other is retried and then finds the notification SENT. Only a sender that dies
 * between the provider's acceptance and the settle can repeat a message, after the claim timeout,
 * and then with the same Message-ID / reference.
 */
export class DeliveryService {
  private readonly claims = new EffectClaims(SEND_CLAIM_TIMEOUT_MS);

  constructor(
    private readonly email: EmailTransport,
    private readonly sms: SmsProvider,
    /** What this process heard of deleted accounts (UsersContactDirectory). */
    private readonly deletions: HeardDeletions = NOTHING_HEARD,
  ) {}

  async deliverEmail(request: EmailRequest): Promise<void> {
    const { to, subject, body } = request.data;
    await this.deliver(request, NotificationChannel.EMAIL, async (id) => ({
      sentAs: await this.email.send({ to, subject, text: body, messageId: `<${id}@${DOMAIN}>` }),
    }));
  }

  async deliverSms(request: SmsRequest): Promise<void> {
    await this.deliver(request, NotificationChannel.SMS, (id) => this.sms.send(request.data.to, request.data.body, id));
  }

  /**
   * Claims the send (one insert), sends, and records the outcome on the notification (one update).
   * The notification is its own settlement: a later delivery of the request finds its claim taken
   * and the notification SENT, and sends nothing. A request whose account was deleted before it came
   * (decided just before; or after a backlog, a restart, a replay from the dead-letter queue) is
   * dropped unsent and records nothing. This process remembers every deletion it heard since it
   * listens, in memory, as far as its marks reach (`hearingSince`); only a request decided before
   * then is asked of the account's `forgotten_accounts` mark, one read by id, so the write path
   * spends no command on it. An email whose `sendBy` has
   * passed when its send is claimed is recorded SKIPPED, unsent (a sender that died after sending it
   * and before recording it cannot be told apart: its link is dead either way); so is a message the
   * provider says it does not send (no SMS gateway), with its reason.
   */
  private async deliver(request: Request, channel: NotificationChannel, send: (id: string) => Promise<SendOutcome>) {
    const { userId } = request.data;
    if (this.deletions.heardDeleted(userId)) return;
    const since = this.deletions.hearingSince();
    const mayHaveMissed = since === undefined || Date.parse(request.occurredAt) < since + CLOCK_SKEW_MS;
    if (mayHaveMissed && (await isForgotten(userId))) return;
    const id = request.data.notificationId ?? request.id;
    const sendBy = 'sendBy' in request.data ? request.data.sendBy : undefined;
    // Another consumer sending it now makes this delivery fail (ClaimBusyError), to be retried and find it settled.
    const outcome = await this.claims.perform(
      `send:${id}`,
      async (): Promise<SendOutcome> =>
        // Claimed, so no sender is sending it now. Sent, its link would only fail whoever opens it.
        sendBy && Date.now() > Date.parse(sendBy)
          ? { notSent: `not sent: it came after ${sendBy}, when the link it carries expired` }
          : this.sendRecordingFailure(request, id, channel, send),
      async () => (await this.finished(id)) || isForgotten(request.data.userId),
    );
    if (outcome.state === 'settled') return;
    if ('notSent' in outcome.value) {
      await this.record(
        request,
        id,
        channel,
        { $set: { status: NotificationStatus.SKIPPED, lastError: outcome.value.notSent } },
        { status: { $ne: NotificationStatus.SENT } },
      );
      return;
    }
    await this.record(request, id, channel, {
      $set: { status: NotificationStatus.SENT, sentAt: new Date(), providerMessageId: outcome.value.sentAs },
      $unset: { lastError: 1 },
      $inc: { attempts: 1 },
    });
  }

  /**
   * Sends; a refusal is recorded on the notification (FAILED, with why) before it is rethrown, unless
   * another sender has sent it meanwhile (it took over a send that outlived its claim). A permanent
   * refusal is rethrown as a rejection, so the request is parked at once rather than retried.
   */
  private async sendRecordingFailure(
    request: Request,
    id: string,
    channel: NotificationChannel,
    send: (id: string) => Promise<SendOutcome>,
  ): Promise<SendOutcome> {
    try {
      return await send(id);
    } catch (error) {
      await this.record(
        request,
        id,
        channel,
        { $set: { status: NotificationStatus.FAILED, lastError: failureText(error) }, $inc: { attempts: 1 } },
        { status: { $ne: NotificationStatus.SENT } },
      );
      if (error instanceof PermanentSendError) throw new RejectedEventError(`undeliverable: ${error.message}`);
      throw error;
    }
  }

  /** Whether the notification's own record says it needs no send: SENT, or SKIPPED. */
  private async finished(id: string): Promise<boolean> {
    const current = await NotificationModel.findById(id)
      .select({ status: 1 })
      .lean<Pick<NotificationRecord, 'status'>>();
    return current?.status === NotificationStatus.SENT || current?.status === NotificationStatus.SKIPPED;
  }

  /**
   * Records a try on the notification, in one write, while it matches `only`; the first try
   * creates it from the request (a request another service published has its own event id as the
   * notification's id).
   */
  private async record(
    request: Request,
    id: string,
    channel: NotificationChannel,
    change: Record<string, unknown>,
    only: Record<string, unknown> = {},
  ): Promise<void> {
    const { decidedFrom, orderId } = request.data;
    const asPublished = {
      eventId: decidedFrom?.eventId ?? request.id,
      eventType: decidedFrom?.eventType ?? request.type,
      template: decidedFrom?.template ?? request.type,
      ...(orderId ? { orderId } : {}),
      userId: request.data.userId,
      channel,
      to: request.data.to,
      ...('subject' in request.data ? { subject: request.data.subject } : {}),
      body: 'confidential' in request.data && request.data.confidential ? CONFIDENTIAL_BODY : request.data.body,
    };
    try {
      await withDocumentLock(NotificationModel.collection.name, id, () =>
        NotificationModel.updateOne({ _id: id, ...only }, { ...change, $setOnInsert: asPublished }, { upsert: true }),
      );
    } catch (error) {
      // The notification exists but not as `only` asks: the upsert's insert collides, and nothing is written.
      if (Object.keys(only).length === 0 || !isDuplicateKeyError(error)) throw error;
    }
  }
}
