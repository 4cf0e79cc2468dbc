import { randomUUID } from 'node:crypto';
import { writtenFirst } from '@shop/platform/mongo';
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import type { ChargeLookup, ChargeRequest, ChargeResult, PaymentProvider, RefundRequest } from './payment-provider.js';

const DECLINED = 'card_declined';
const TIMEOUT = 'card_timeout';

/**
 * The simulator's own ledger, as a real provider keeps one: `charge:<reference>` and
 * `refund:<reference>`, unique, so a repeated reference never moves money twice; one write per call. Kept in MongoDB
 * (collection `simulator_ledger` of the payments database) so that it outlives a crashed process,
 * as a provider's would.
 */
@modelOptions({ schemaOptions: { collection: 'simulator_ledger', versionKey: false } })
export class SimulatorLedgerEntry {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => String })
  kind!: 'charge' | 'refund';

  @prop({ required: true, type: () => String })
  reference!: string;

  @prop({ required: true, type: () => Number })
  amountCents!: number;

  @prop({ required: true, type: () => String })
  outcome!: 'succeeded' | 'failed';

  @prop({ type: () => String })
  transactionId?: string;

  @prop({ type: () => String })
  failureReason?: string;

  @prop({ required: true, type: () => Date })
  at!: Date;

  /** How often this charge or refund was asked for (a repeat is answered from the entry), so tests can count what reached the provider. */
  @prop({ required: true, type: () => Number })
  calls!: number;
}

export const SimulatorLedgerModel = getModelForClass(SimulatorLedgerEntry);

/** The answer that never came back: the charge was taken, the caller cannot know. */
export class ProviderTimeoutError extends Error {
  constructor(reference: string) {
    super(`payment provider did not answer in time for ${reference}`);
    this.name = 'ProviderTimeoutError';
  }
}

/** Optional slowness of the simulator, to reproduce a process dying between charge and answer. */
export interface SimulatorOptions {
  /** Delay between recording a charge and answering it, and before a refund is made. */
  answerDelayMs?: number;
}

/**
 * The built-in simulator of the contract: `card`, `paypal`, `bank_transfer` succeed,
 * `card_declined` fails, `card_timeout` takes the charge and then times out (the payment stays
 * PENDING until reconciliation finds the charge in the ledger).
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly paymentMethods = ['card', 'paypal', 'bank_transfer', DECLINED, TIMEOUT] as const;

  constructor(private readonly options: SimulatorOptions = {}) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const result: ChargeResult =
      request.paymentMethod === DECLINED
        ? { outcome: 'failed', failureReason: DECLINED }
        : { outcome: 'succeeded', transactionId: `sim_${randomUUID()}` };
    const recorded = await this.record({
      _id: `charge:${request.reference}`,
      kind: 'charge',
      reference: request.reference,
      amountCents: request.amountCents,
      ...result,
      at: new Date(),
      calls: 1,
    });
    if (this.options.answerDelayMs) await new Promise((resolve) => setTimeout(resolve, this.options.answerDelayMs));
    if (request.paymentMethod === TIMEOUT) throw new ProviderTimeoutError(request.reference);
    return toResult(recorded);
  }

  async lookup(reference: string): Promise<ChargeLookup> {
    const entry = await SimulatorLedgerModel.findById(`charge:${reference}`).lean<SimulatorLedgerEntry>();
    return entry ? toResult(entry) : { outcome: 'unknown' };
  }

  /** Refunds a succeeded charge once per reference; a repeat is answered as done. */
  async refund(request: RefundRequest): Promise<void> {
    if (this.options.answerDelayMs) await new Promise((resolve) => setTimeout(resolve, this.options.answerDelayMs));
    const charge = await this.lookup(request.reference);
    if (charge.outcome !== 'succeeded') throw new Error(`no succeeded charge to refund for ${request.reference}`);
    await this.record({
      _id: `refund:${request.reference}`,
      kind: 'refund',
      reference: request.reference,
      amountCents: request.amountCents,
      outcome: 'succeeded',
      transactionId: charge.transactionId,
      at: new Date(),
      calls: 1,
    });
  }

  /** The first entry for its id wins; a repeat counts its call and gets the first one back (idempotency by reference). */
  private async record(entry: SimulatorLedgerEntry): Promise<SimulatorLedgerEntry> {
    if (await writtenFirst(() => SimulatorLedgerModel.create(entry))) return entry;
    const first = await SimulatorLedgerModel.findByIdAndUpdate(
      entry._id,
      { $inc: { calls: 1 } },
      { new: true },
    ).lean<SimulatorLedgerEntry>();
    // Ledger entries are never deleted: a duplicate key names one that exists.
    if (!first) throw new Error(`ledger entry ${entry._id} refused as a duplicate, yet not found`);
    return first;
  }
}

function toResult(entry: SimulatorLedgerEntry): ChargeResult {
  return entry.outcome === 'succeeded'
    ? { outcome: 'succeeded', transactionId: entry.transactionId ?? '' }
    : { outcome: 'failed', failureReason: entry.failureReason ?? 'failed' };
}
