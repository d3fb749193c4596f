import type { MailBytes } from '../../core/spool/spooled-bytes';
import { newInboundMail, runSteps, type MailboxPolicy, type PipelineStep } from '../pipeline/inbound-mail';
import { PREPARED_FIELDS, prepareSteps, type PreparedFields } from '../pipeline/prepare-steps';

/**
 * Runs the prepare steps on one raw mail and returns what they found: the body of a parse
 * worker's task, and what the pool runs itself for a mail it need not hand to a worker.
 */
export async function prepareFields(raw: MailBytes, policy: MailboxPolicy, now: Date, steps: readonly PipelineStep[] = prepareSteps()): Promise<PreparedFields> {
  const mail = await runSteps(steps, newInboundMail(raw, policy), { sideEffects: true, now });
  const fields: Record<string, unknown> = {};
  for (const key of PREPARED_FIELDS) if (mail[key] !== undefined) fields[key] = mail[key];
  // The HTML as sent is only an input of sanitizing: what is stored and shown is
  // sanitizedHtml. Not carrying it spares a copy of every HTML body between threads.
  if (mail.parsed) fields.parsed = { ...mail.parsed, html: null };
  return fields as PreparedFields;
}
