import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { writtenFirst } from './mongo.js';

/**
 * One try at an external side effect (an email, an SMS, a refund): `<key>#<generation>`, unique.
 * Generation 0 is the first claim; a later generation is a takeover of a claim whose holder went
 * silent. Inserting under the unique `_id` is what decides between racing workers, because a
 * conditional update of one document is not atomic on FerretDB (see ferretdb-adapter.ts).
 */
@index({ key: 1, generation: -1 })
@modelOptions({ schemaOptions: { collection: 'effect_claims', versionKey: false } })
export class EffectClaimRecord {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => String })
  key!: string;

  @prop({ required: true, type: () => Number })
  generation!: number;

  @prop({ required: true, type: () => Date })
  claimedAt!: Date;

  /** Set once the effect is known done; a settled key is never claimed again. */
  @prop({ type: () => Date })
  settledAt?: Date;
}

/** The `effect_claims` model, registered with mongoose on first call (not on import). */
export const effectClaimModel = () => getModelForClass(EffectClaimRecord);

/** `claimed`: go ahead, then `settle`. `busy`: another worker holds a live claim. `settled`: done before. */
export type ClaimOutcome = { state: 'claimed'; claim: EffectClaim } | { state: 'busy' } | { state: 'settled' };

export interface EffectClaim {
  readonly key: string;
  readonly generation: number;
}

/** Thrown (and so retried by the event bus) when another worker holds the effect's live claim. */
export class ClaimBusyError extends Error {
  constructor(key: string) {
    super(`side effect ${key} is claimed by another worker; retry later`);
    this.name = 'ClaimBusyError';
  }
}

/**
 * Exactly-once-or-retried side effects: claim before calling the provider, settle after.
 *
 * Of two workers racing on one key, one insert wins and the other is `busy`. A claim whose holder
 * died before settling is taken over once it is older than `staleMs`, by inserting the next
 * generation (again one winner), so the effect reaches the provider at least once; a settled key
 * never reaches it again. The provider call should carry the key as its own idempotency reference
 * where it has one, so a takeover after an unrecorded success is absorbed there.
 */
export class EffectClaims {
  private readonly model = effectClaimModel();

  constructor(private readonly staleMs: number) {}

  /**
   * `settled`: where the effect's own record says it is done (a sent notification, say), so its
   * claims need no `settle`. Asked only when the key was claimed before.
   */
  async claim(key: string, now = new Date(), settled?: () => Promise<boolean>): Promise<ClaimOutcome> {
    // The first claim of a key is one insert; only a key claimed before costs reads.
    if (await this.insert(key, 0, now)) return { state: 'claimed', claim: { key, generation: 0 } };
    const latest = await this.model.findOne({ key }).sort({ generation: -1 }).lean<EffectClaimRecord>();
    if (latest?.settledAt || (await this.model.exists({ key, settledAt: { $exists: true } }))) {
      return { state: 'settled' };
    }
    if (settled && (await settled())) return { state: 'settled' };
    if (latest && now.getTime() - latest.claimedAt.getTime() < this.staleMs) return { state: 'busy' };
    const generation = latest ? latest.generation + 1 : 0;
    if (!(await this.insert(key, generation, now))) return { state: 'busy' };
    return { state: 'claimed', claim: { key, generation } };
  }

  /**
   * The effect once per key: claims it, runs `effect`, and on failure gives the claim up (so the
   * next delivery may run it at once) and rethrows. `done` carries the claim for the caller to
   * settle once it has recorded the effect; `settled` means it was done before and did not run.
   * Throws ClaimBusyError while another worker holds a live claim.
   */
  async perform<T>(
    key: string,
    effect: () => Promise<T>,
    settled?: () => Promise<boolean>,
  ): Promise<{ state: 'done'; claim: EffectClaim; value: T } | { state: 'settled' }> {
    const outcome = await this.claim(key, new Date(), settled);
    if (outcome.state === 'busy') throw new ClaimBusyError(key);
    if (outcome.state === 'settled') return outcome;
    try {
      return { state: 'done', claim: outcome.claim, value: await effect() };
    } catch (error) {
      await this.release(outcome.claim);
      throw error;
    }
  }

  /** True when this insert made the claim; false when that generation was claimed already. */
  private insert(key: string, generation: number, now: Date): Promise<boolean> {
    return writtenFirst(() => this.model.create({ _id: `${key}#${generation}`, key, generation, claimedAt: now }));
  }

  /** Records the effect done. One writer per generation document, so a plain update is safe. */
  async settle(claim: EffectClaim): Promise<void> {
    await this.model.updateOne({ _id: `${claim.key}#${claim.generation}` }, { $set: { settledAt: new Date() } });
  }

  /** Gives a claim up after a failed effect, so the next delivery may claim it at once. */
  async release(claim: EffectClaim): Promise<void> {
    await this.model.updateOne(
      { _id: `${claim.key}#${claim.generation}`, settledAt: { $exists: false } },
      { $set: { claimedAt: new Date(0) } },
    );
  }
}
