import { IdentifyStep } from '../steps/identify.step';
import { LoopCheckStep } from '../steps/loop-check.step';
import { ParseStep } from '../steps/parse.step';
import { ThreadHintsStep } from '../steps/thread-hints.step';
import type { InboundMail, PipelineStep } from './inbound-mail';

/**
 * The CPU steps of the pipeline, in order: the ones that need nothing but the mail and the
 * mailbox policy. The pipeline lists them, and the parse workers run exactly these.
 */
export function prepareSteps(): PipelineStep[] {
  return [new ParseStep(), new IdentifyStep(), new LoopCheckStep(), new ThreadHintsStep()];
}

/** What the prepare steps add to a mail: what a worker sends back. */
export const PREPARED_FIELDS = ['parsed', 'sanitizedHtml', 'identity', 'requester', 'ownAddress', 'autoReply', 'bounce', 'threadHints', 'quarantine'] as const satisfies ReadonlyArray<keyof InboundMail>;
export type PreparedFields = Pick<InboundMail, (typeof PREPARED_FIELDS)[number]>;
