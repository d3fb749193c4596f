import type { EntityManager } from 'typeorm';
import { BatchReads, type LookupStep } from '../pipeline/batch-reads';
import type { RequestMail, StoreContext } from '../pipeline/request-mail';

/** A store context for step specs: the given manager, nothing loaded yet. */
export function storeContext(em: EntityManager, options: { sideEffects?: boolean; now?: Date } = {}): StoreContext {
  return { sideEffects: options.sideEffects ?? true, now: options.now ?? new Date(), em, reads: new BatchReads() };
}

/** Runs one lookup step the way the pipeline does: load for the batch, then decide each mail in order and remember it. */
export async function decideWith<T>(step: LookupStep<T>, mails: RequestMail[], context: StoreContext): Promise<StoreContext> {
  context.reads.set(step, await step.load(mails, context));
  for (const mail of mails) {
    await step.run(mail, context);
    context.reads.remember(mail, context);
  }
  return context;
}
