import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import type { AfterCommit, IntakeContext, IntakeItem, IntakeResult, MailIntake, PreparedMail } from '../../incoming/mail-intake.port';
import { releaseBytes, type MailBytes } from '../../core/spool/spooled-bytes';
import { sha256Of } from '../parsing/mail-identity';
import { RequestPipeline } from '../pipeline/request-pipeline';
import { newRequestMail, onCommit, releaseMail, subjectKey, type RequestMail } from '../pipeline/request-mail';
import { QuarantineWriter } from '../quarantine/quarantine.writer';
import { RequestsMetrics } from '../requests.metrics';
import { formatAddress } from '../steps/store.step';

/** A prepared mail carries the pipeline context the prepare phase built. */
export class PreparedRequestMail implements PreparedMail {
  constructor(readonly mail: RequestMail) {}

  get raw(): MailBytes {
    return this.mail.raw;
  }
  get identity(): string {
    return this.mail.identity!;
  }
  get messageId(): string | null {
    return this.mail.parsed?.messageId ?? null;
  }
}

/**
 * The requests module's side of the fetch seam (incoming/mail-intake.port.ts): `prepare`
 * runs the CPU steps of the pipeline outside any transaction, `store` the database steps
 * inside the runner's (savepoint per mail), `quarantine` keeps what `store` could not.
 */
@Injectable()
export class RequestIntake implements MailIntake {
  /** The prepared context of a raw mail, for `quarantine`, which only gets the bytes back. */
  private readonly preparedByRaw = new WeakMap<MailBytes, RequestMail>();

  constructor(
    private readonly pipeline: RequestPipeline,
    private readonly quarantines: QuarantineWriter,
    private readonly metrics: RequestsMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async prepare(raw: MailBytes, context: IntakeContext): Promise<PreparedRequestMail> {
    const mail = newRequestMail(raw, context.mailbox, { firstImport: context.firstImport, maxMailBytes: this.config.maxMailBytes, spoolAboveBytes: this.config.spoolAboveBytes, receivedAt: context.receivedAt });
    await this.pipeline.prepare(mail, { sideEffects: true, now: new Date() });
    this.preparedByRaw.set(raw, mail);
    return new PreparedRequestMail(mail);
  }

  async store(em: EntityManager, items: readonly IntakeItem[], afterCommit?: AfterCommit): Promise<IntakeResult[]> {
    const mails: RequestMail[] = [];
    for (const { mail, context } of items) mails.push(mail instanceof PreparedRequestMail ? mail.mail : (await this.prepare(mail.raw, context)).mail);
    await this.pipeline.store(mails, { sideEffects: true, now: new Date(), em, afterCommit });
    return mails.map((mail) => {
      const stored = mail.stored;
      if (!stored) throw new Error('the pipeline ended without storing the mail');
      return { outcome: stored.outcome, requestId: stored.requestId, messageId: mail.parsed?.messageId ?? null };
    });
  }

  release(raw: MailBytes): void {
    const mail = this.preparedByRaw.get(raw);
    this.preparedByRaw.delete(raw);
    if (mail) releaseMail(mail);
    releaseBytes(raw);
  }

  async quarantine(em: EntityManager, raw: MailBytes, reason: string, context: IntakeContext, afterCommit?: AfterCommit): Promise<IntakeResult> {
    const mail = this.preparedByRaw.get(raw);
    const parsed = mail?.parsed;
    const [id] = await this.quarantines.keep(em, [{
      mailboxId: context.mailbox.id,
      raw,
      reason: 'storage failed',
      detail: reason,
      identity: mail?.identity ?? `sha256:${sha256Of(raw)}`,
      messageId: parsed?.messageId ?? null,
      subject: parsed?.subject ?? null,
      from: formatAddress(parsed?.from ?? mail?.requester ?? null),
      requesterEmail: mail?.requester?.email ?? null,
      subjectKey: parsed ? subjectKey(parsed.subject) : null,
      receivedAt: context.receivedAt ?? new Date(),
    }]);
    if (id === null) {
      onCommit({ afterCommit }, () => this.metrics.duplicatesSuppressed.inc());
      return { outcome: 'duplicate', requestId: null, messageId: parsed?.messageId ?? null };
    }
    onCommit({ afterCommit }, () => this.metrics.quarantined.inc({ reason: 'storage failed' }));
    return { outcome: 'quarantined', requestId: null, messageId: parsed?.messageId ?? null };
  }
}
