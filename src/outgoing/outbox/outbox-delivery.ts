import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import { MailError, MessageRejectedError, TemporaryRejectionError } from '../../core/errors';
import { LOGGER } from '../../core/logging/logger';
import type { TranscriptRecorder } from '../../incoming/source-options.factory';
import { MailboxLogService } from '../../mailboxes/mailbox-log.service';
import { MailboxStateService } from '../../mailboxes/mailbox-state.service';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import type { LastError, SideState } from '../../mailboxes/mailbox.types';
import { createMailTransport } from '../adapters/transport.registry';
import type { MailTransport, SendResult } from '../mail-transport.port';
import type { ClaimedMail } from './outbox-claimer';
import { OutboxClaimer } from './outbox-claimer';
import { OutboxMetrics } from './outbox.metrics';
import { decideAfterFailure, type FailureDecision } from './retry-policy';
import { TransportOptionsFactory } from './transport-options.factory';

/** One mailbox's transport for a round of sends, and what the round learnt about the side's state. */
export interface DeliverySession {
  mailbox: Mailbox;
  transport: MailTransport;
  transcript: TranscriptRecorder | null;
  sideState: SideState;
  close(): Promise<void>;
}

export type AttemptOutcome = { ok: true; result: SendResult } | { ok: false; error: unknown; decision: FailureDecision };

/** Tries to record a delivery this many times: a lost `sent` would mean sending the mail again. */
const MARK_SENT_TRIES = 3;

/**
 * One attempt to send one claimed mail, and its bookkeeping: the row's new status, the
 * outgoing side's state (with the mailbox log), metrics. Shared by the OutboxSender and the
 * test mail, so both follow one decision table (retry-policy.ts).
 */
@Injectable()
export class OutboxDelivery {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly claimer: OutboxClaimer,
    private readonly options: TransportOptionsFactory,
    private readonly states: MailboxStateService,
    private readonly logs: MailboxLogService,
    private readonly metrics: OutboxMetrics,
  ) {}

  openSession(mailbox: Mailbox): DeliverySession {
    let transport: MailTransport;
    let transcript: TranscriptRecorder | null = null;
    try {
      const built = this.options.build(mailbox);
      transcript = built.transcript;
      transport = createMailTransport(built.options);
    } catch (error) {
      // Settings no transport can use (e.g. a protocol not built yet): every send fails with it.
      transport = { send: () => Promise.reject(error), close: async () => undefined };
    }
    const flush = async () => {
      await transcript?.flush().catch((error) => this.logger.warn({ err: error, mailbox: mailbox.id }, 'outgoing transcript not written'));
    };
    return {
      mailbox,
      transport,
      transcript,
      sideState: mailbox.outgoingState,
      async close() {
        await transport.close().catch(() => undefined);
        await flush();
      },
    };
  }

  async attempt(mail: ClaimedMail, session: DeliverySession): Promise<AttemptOutcome> {
    const raw = mail.raw ?? (await this.claimer.raw(mail.id));
    if (!raw) {
      const error = new Error(`outbox message ${mail.id} has no content`);
      return { ok: false, error, decision: await this.recordFailure(mail, session, error) };
    }
    const stopTimer = this.metrics.sendDuration.startTimer();
    let result: SendResult;
    try {
      result = await session.transport.send({ from: mail.envelopeFrom, to: mail.envelopeTo }, raw);
    } catch (error) {
      stopTimer({ result: 'error' });
      return { ok: false, error, decision: await this.recordFailure(mail, session, error) };
    }
    stopTimer({ result: 'sent' });
    // RFC 5321 §4.1.1.4: after the server's 250 to DATA the mail is theirs. A crash between that
    // reply and the UPDATE below leaves the row `sending`; when its lease runs out it is sent
    // once more (same bytes, same Message-ID, so receivers can spot it). Nothing but this one
    // statement runs in that window.
    await this.markSent(mail, result);
    this.metrics.sends.inc({ server: result.server, result: 'sent' });
    await this.setSideState(session, 'connected', null);
    return { ok: true, result };
  }

  /** Puts a claimed mail back untried (its mailbox failed first, or the process stops). */
  async putBack(mail: ClaimedMail, delayMs: number, error: LastError | null): Promise<void> {
    await this.claimer.reschedule(mail.id, delayMs, error, { untried: true });
  }

  /** `{ code, message, at }` as the API shows errors. */
  lastError(error: unknown): LastError {
    const at = new Date().toISOString();
    if (error instanceof MailError) return { code: error.code, message: error.message, at };
    return { code: 'PROTOCOL_ERROR', message: `unexpected error: ${(error as Error)?.message ?? String(error)}`, at };
  }

  private async recordFailure(mail: ClaimedMail, session: DeliverySession, error: unknown): Promise<FailureDecision> {
    if (!(error instanceof MailError)) this.logger.error({ err: error, outbox: mail.id }, 'unexpected outbox send failure');
    const decision = decideAfterFailure(error, mail.attempts, Date.now() - mail.createdAt.getTime(), this.policy());
    const lastError = this.lastError(error);
    const response = error instanceof MessageRejectedError || error instanceof TemporaryRejectionError ? error.response : null;
    if (decision.status === 'failed') {
      this.warnIfLost(await this.claimer.markFailed(mail.id, lastError, response), mail);
      this.metrics.sends.inc({ server: 'none', result: decision.failureClass === 'rejected' ? 'rejected' : 'failed' });
      await this.logs.append(session.mailbox.id, {
        level: 'warn',
        event: 'outbox.failed',
        side: 'outgoing',
        message: `mail <${mail.messageId}> to ${mail.envelopeTo.join(', ')} failed after ${mail.attempts} attempt(s): ${lastError.code}: ${lastError.message}`,
      });
    } else {
      this.warnIfLost(await this.claimer.reschedule(mail.id, decision.delayMs, lastError, { response }), mail);
      this.metrics.sends.inc({ server: 'none', result: 'retry' });
      this.metrics.retries.inc({ code: lastError.code });
    }
    if (decision.sideState) await this.setSideState(session, decision.sideState, decision.sideState === 'connected' ? null : lastError);
    return decision;
  }

  /**
   * Writes a state only when it changes, or with an error; a busy queue must not write one per
   * mail. A switched-off side keeps `disabled` (a test mail may still be sent through it).
   */
  private async setSideState(session: DeliverySession, state: SideState, error: LastError | null): Promise<void> {
    if (session.sideState === state && !error) return;
    if (session.mailbox.outgoing?.enabled === false) {
      if (error) {
        await this.logs
          .append(session.mailbox.id, { level: 'error', event: 'error', side: 'outgoing', message: `outgoing: ${error.code}: ${error.message}` })
          .catch((failure) => this.logger.warn({ err: failure, mailbox: session.mailbox.id }, 'outgoing error not logged'));
      }
      return;
    }
    session.sideState = state;
    await this.states
      .set(session.mailbox.id, 'outgoing', state, error ? { code: error.code, message: error.message } : null)
      .catch((failure) => this.logger.warn({ err: failure, mailbox: session.mailbox.id }, 'outgoing state not recorded'));
  }

  /** Another process took the row after this one's lease ran out (a stalled process): its word stands. */
  private warnIfLost(kept: boolean, mail: ClaimedMail): void {
    if (!kept) this.logger.warn({ outbox: mail.id }, 'outbox row was taken over by another process; its outcome is not recorded here');
  }

  private async markSent(mail: ClaimedMail, result: SendResult): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.claimer.markSent(mail.id, result);
      } catch (error) {
        if (attempt >= MARK_SENT_TRIES) {
          this.logger.error({ err: error, outbox: mail.id }, 'delivered, but not recorded: the mail will be sent again when its lease runs out');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }

  private policy() {
    return { maxAttempts: this.config.outboxMaxAttempts, baseMs: this.config.outboxRetryBaseMs };
  }
}
