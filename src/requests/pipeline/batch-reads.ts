import type { PipelineStep } from './inbound-mail';
import type { RequestMail, StoreContext } from './request-mail';

/**
 * A database step that reads for a whole batch of mails at once (issue 6: a handful of
 * queries per batch instead of several per mail): `load` runs before any mail of the batch
 * is decided, `run` decides one mail from what was loaded (`context.reads.of(this)`), and
 * `remember` adds a decided mail to it, so later mails of the same batch count it too.
 */
export interface LookupStep<T> extends PipelineStep {
  load(mails: readonly RequestMail[], context: StoreContext): Promise<T>;
  remember?(mail: RequestMail, loaded: T, context: StoreContext): void;
}

/** A step that writes a whole batch of decided mails at once. */
export interface BatchWriteStep extends PipelineStep {
  runAll(mails: readonly RequestMail[], context: StoreContext): Promise<void>;
}

export function isLookupStep(step: PipelineStep): step is LookupStep<unknown> {
  return typeof (step as Partial<LookupStep<unknown>>).load === 'function';
}

export function isBatchWriteStep(step: PipelineStep): step is BatchWriteStep {
  return typeof (step as Partial<BatchWriteStep>).runAll === 'function';
}

/** What each lookup step loaded for the batch being decided. */
export class BatchReads {
  private readonly loaded = new Map<PipelineStep, unknown>();

  set<T>(step: LookupStep<T>, value: T): void {
    this.loaded.set(step, value);
  }

  of<T>(step: LookupStep<T>): T {
    if (!this.loaded.has(step)) throw new Error(`the ${step.name} step ran without its batch lookup`);
    return this.loaded.get(step) as T;
  }

  remember(mail: RequestMail, context: StoreContext): void {
    for (const [step, value] of this.loaded) (step as LookupStep<unknown>).remember?.(mail, value, context);
  }
}

/**
 * The mails of a batch are decided one after another from reads made before the first:
 * a mail that is the same mail as one decided earlier in the batch (same identity), or that
 * answers one (its In-Reply-To / References name it), needs that one STORED to be decided
 * right. Such a mail starts the next batch.
 */
export class BatchDependencies {
  private readonly identities = new Set<string>();
  private readonly messageIds = new Set<string>();

  dependsOnBatch(mail: RequestMail): boolean {
    if (mail.identity && this.identities.has(mail.identity)) return true;
    return (mail.threadHints?.messageIds ?? []).some((id) => this.messageIds.has(id));
  }

  add(mail: RequestMail): void {
    if (mail.identity) this.identities.add(mail.identity);
    if (mail.parsed?.messageId) this.messageIds.add(mail.parsed.messageId);
  }
}
