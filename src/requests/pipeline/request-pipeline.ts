import { Injectable } from '@nestjs/common';
import { AcknowledgeStep } from '../steps/acknowledge.step';
import { AcknowledgementRateStep } from '../steps/acknowledgement-rate.step';
import { DecideStep } from '../steps/decide.step';
import { DuplicateCheckStep } from '../steps/duplicate-check.step';
import { LoopBreakerStep } from '../steps/loop-breaker.step';
import { StoreStep } from '../steps/store.step';
import { ThreadStep } from '../steps/thread.step';
import { PrepareWorkerPool } from '../parsing/prepare-worker-pool';
import type { PipelineStep, StepContext } from './inbound-mail';
import { prepareSteps } from './prepare-steps';
import type { RequestMail, StoreContext } from './request-mail';

/**
 * `prepare`: CPU work on the mail alone, outside any transaction (the fetch runner parses a
 * batch before it opens one). `store`: reads and writes in the runner's transaction.
 */
export type PipelinePhase = 'prepare' | 'store';

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
 *  store    duplicate-check  the mailbox already has this identity → duplicate, nothing else runs
 *           thread           the request those hints name, in any mailbox
 *           loop-breaker     > loopLimit.count mails requester+subject in loopLimit.minutes → quarantine `loop`
 *           acknowledgement-rate  acknowledgements to this requester in the last hour
 *           decide           new request | append | ignored | quarantine, and whether to acknowledge
 *           store            the rows (request, message, attachments, or the quarantine row)
 *           acknowledge      queue the acknowledgement to the outbox, store it as an outgoing message
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
      { phase: 'store', step: duplicateCheck },
      { phase: 'store', step: thread },
      { phase: 'store', step: loopBreaker },
      { phase: 'store', step: acknowledgementRate },
      { phase: 'store', step: new DecideStep() },
      { phase: 'store', step: store },
      { phase: 'store', step: acknowledge },
    ];
  }

  /** The CPU part: no database, no side effects; on a worker thread when the pool is on. */
  async prepare(mail: RequestMail, context: StepContext): Promise<RequestMail> {
    if (!this.workers.enabled) return this.runPhase('prepare', mail, context);
    return Object.assign(mail, await this.workers.prepare(mail.raw, mail.mailbox, context.now));
  }

  /** The database part, in the caller's transaction (`context.em`). */
  store(mail: RequestMail, context: StoreContext): Promise<RequestMail> {
    return this.runPhase('store', mail, context);
  }

  private async runPhase(phase: PipelinePhase, mail: RequestMail, context: StepContext): Promise<RequestMail> {
    for (const entry of this.entries) {
      if (entry.phase !== phase) continue;
      const { step } = entry;
      if (mail.duplicate && !step.runsOnDuplicate) continue;
      if (mail.quarantine && !step.runsOnQuarantined) continue;
      await step.run(mail, context);
    }
    return mail;
  }
}
