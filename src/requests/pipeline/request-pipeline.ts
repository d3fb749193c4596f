import { Injectable } from '@nestjs/common';
import { AcknowledgeStep } from '../steps/acknowledge.step';
import { AcknowledgementRateStep } from '../steps/acknowledgement-rate.step';
import { DecideStep } from '../steps/decide.step';
import { DuplicateCheckStep } from '../steps/duplicate-check.step';
import { LoopBreakerStep } from '../steps/loop-breaker.step';
import { StoreStep } from '../steps/store.step';
import { ThreadStep } from '../steps/thread.step';
import { PrepareWorkerPool } from '../parsing/prepare-worker-pool';
import { BatchDependencies, BatchReads, isBatchWriteStep, isLookupStep } from './batch-reads';
import type { PipelineStep, StepContext } from './inbound-mail';
import { prepareSteps } from './prepare-steps';
import type { DatabaseContext, RequestMail, StoreContext } from './request-mail';

/**
 * `prepare`: CPU work on the mail alone, outside any transaction (the fetch runner parses a
 * batch before it opens one). `decide`: reads, once per batch, and the decisions.
 * `store`: the writes, in the runner's transaction.
 */
export type PipelinePhase = 'prepare' | 'decide' | 'store';

export interface PipelineEntry {
  phase: PipelinePhase;
  step: PipelineStep & { readonly runsOnDuplicate?: boolean };
}

/**
 * THE pipeline: every step a mail goes through, in order, in this one array (style.md, "The
 * pipeline as an ordered list of small steps"). parse → identify → loop check → thread →
 * store → acknowledge, with the database lookups each decision needs in between:
 *
 *  prepare  parse            raw → ParsedMail + sanitized HTML; too large/complex/unparseable → quarantine
 *           identify         identity (Message-ID or raw hash), requester, own address
 *           loop-check       auto-reply rules: no acknowledgement; bounces and own mail never start requests
 *           thread-hints     In-Reply-To / References ids, the `[##n##]` token
 *  decide   duplicate-check  the mailbox already has this identity → duplicate, nothing else runs
 *           thread           the request those hints name, in any mailbox
 *           loop-breaker     > loopLimit.count mails requester+subject in loopLimit.minutes → quarantine `loop`
 *           acknowledgement-rate  acknowledgements to this requester in the last hour
 *           decide           new request | append | ignored | quarantine, and whether to acknowledge
 *  store    store            the rows (requests, messages, attachments, quarantine rows) of the batch
 *           acknowledge      queue the acknowledgement to the outbox, store it as an outgoing message
 *
 * The database part takes a batch of mails (a fetch chunk; one mail for a retry or a sample):
 * each lookup step reads once for the whole batch, the mails are decided one by one in order
 * (each lookup remembers the mails decided before, so the loop breaker counts them), and the
 * store step writes the batch in a few multi-row statements. A mail that depends on one
 * decided earlier in the batch (the same mail again, a reply to it) starts a new batch.
 *
 * A quarantined mail skips the steps that do not handle quarantine; a duplicate skips all but
 * `store`. With `sideEffects: false` (the sample-mail dry run) the same steps decide and write
 * nothing.
 */
@Injectable()
export class RequestPipeline {
  readonly entries: readonly PipelineEntry[];

  constructor(
    duplicateCheck: DuplicateCheckStep,
    thread: ThreadStep,
    loopBreaker: LoopBreakerStep,
    acknowledgementRate: AcknowledgementRateStep,
    store: StoreStep,
    acknowledge: AcknowledgeStep,
    private readonly workers: PrepareWorkerPool,
  ) {
    this.entries = [
      ...prepareSteps().map((step) => ({ phase: 'prepare' as const, step })),
      { phase: 'decide', step: duplicateCheck },
      { phase: 'decide', step: thread },
      { phase: 'decide', step: loopBreaker },
      { phase: 'decide', step: acknowledgementRate },
      { phase: 'decide', step: new DecideStep() },
      { phase: 'store', step: store },
      { phase: 'store', step: acknowledge },
    ];
  }

  /** The CPU part: no database, no side effects; on a worker thread when the pool is on. */
  async prepare(mail: RequestMail, context: StepContext): Promise<RequestMail> {
    if (this.workers.enabled) Object.assign(mail, await this.workers.prepare(mail.raw, mail.mailbox, context.now));
    else await this.runEach('prepare', [mail], context);
    mail.preparedQuarantine = mail.quarantine ?? null;
    return mail;
  }

  /** The database part for prepared mails of ONE mailbox, in order, in the caller's transaction (`context.em`). */
  async store(mails: readonly RequestMail[], context: DatabaseContext): Promise<void> {
    for (const mail of mails) startOver(mail);
    for (let rest = mails; rest.length > 0; ) {
      const batch = await this.decideBatch(rest, context);
      await this.runEach('store', batch.mails, batch.context);
      rest = rest.slice(batch.mails.length);
    }
  }

  /** Loads the lookups for `mails`, then decides them in order up to the first that depends on an earlier one. */
  private async decideBatch(mails: readonly RequestMail[], base: DatabaseContext): Promise<{ mails: RequestMail[]; context: StoreContext }> {
    const context: StoreContext = { ...base, reads: new BatchReads() };
    for (const { phase, step } of this.entries) {
      if (phase === 'decide' && isLookupStep(step)) context.reads.set(step, await step.load(mails, context));
    }
    const dependencies = new BatchDependencies();
    const decided: RequestMail[] = [];
    for (const mail of mails) {
      if (decided.length > 0 && dependencies.dependsOnBatch(mail)) break;
      await this.runEach('decide', [mail], context);
      context.reads.remember(mail, context);
      dependencies.add(mail);
      decided.push(mail);
    }
    return { mails: decided, context };
  }

  /** Runs the steps of one phase over the mails, step by step; a step that writes batches gets them whole. */
  private async runEach(phase: PipelinePhase, mails: readonly RequestMail[], context: StepContext): Promise<void> {
    for (const { phase: stepPhase, step } of this.entries) {
      if (stepPhase !== phase) continue;
      const applicable = mails.filter((mail) => (!mail.duplicate || step.runsOnDuplicate) && (!mail.quarantine || step.runsOnQuarantined));
      if (applicable.length === 0) continue;
      if (isBatchWriteStep(step)) await step.runAll(applicable, context as StoreContext);
      else for (const mail of applicable) await step.run(mail, context);
    }
  }
}

/** Clears what an earlier, rolled-back attempt to store the mail decided: only the prepare steps' findings stay. */
function startOver(mail: RequestMail): void {
  if (mail.preparedQuarantine === undefined) mail.preparedQuarantine = mail.quarantine ?? null;
  mail.quarantine = mail.preparedQuarantine ?? undefined;
  for (const field of ['duplicate', 'thread', 'acknowledgementRateLimited', 'decision', 'stored', 'acknowledgement'] as const) delete mail[field];
}
