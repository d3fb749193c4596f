import { Inject, Injectable } from '@nestjs/common';
import type { FindOptionsSelect } from 'typeorm';
import { Readable } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import { countParts, readParts, readWhole } from '../../core/database/byte-parts';
import { CommitEffects } from '../../core/database/commit-effects';
import type { MailBytes } from '../../core/spool/spooled-bytes';
import { Database } from '../../core/database/database';
import { ConflictError, NotFoundError } from '../../core/errors';
import { Mailbox } from '../../mailboxes/mailbox.entity';
import type { IntakeContext } from '../../incoming/mail-intake.port';
import type { ListQuarantineQuery, QuarantinedMailView, RetryResultView } from '../api/requests.dto';
import { RequestIntake } from '../intake/request-intake';
import { quarantineOf } from '../steps/store.step';
import { QUARANTINE_PARTS, QuarantinedMail } from './quarantined-mail.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The columns a view shows. */
const LISTED: FindOptionsSelect<QuarantinedMail> = Object.fromEntries(
  ['id', 'mailboxId', 'reason', 'detail', 'size', 'receivedAt', 'subject', 'from', 'messageId', 'retries', 'lastRetryAt', 'createdAt'].map((column) => [column, true]),
);

/** Thrown inside the retry transaction to undo it when the mail would be quarantined again. */
class StillQuarantined extends Error {
  constructor(readonly reason: string, readonly detail: string) {
    super(`still quarantined: ${reason}`);
  }
}

/** `GET /v1/quarantine`, the raw mail, and retry (api.md). */
@Injectable()
export class QuarantineService {
  constructor(
    @Inject(Database) private readonly db: Database,
    private readonly intake: RequestIntake,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(query: ListQuarantineQuery): Promise<{ messages: QuarantinedMailView[]; total: number; page: number; pageSize: number }> {
    const where: Partial<Pick<QuarantinedMail, 'mailboxId' | 'reason'>> = {};
    if (query.mailbox) where.mailboxId = query.mailbox;
    if (query.reason) where.reason = query.reason;
    const [rows, total] = await this.db.run((em) =>
      em.findAndCount(QuarantinedMail, { select: LISTED, where, order: { createdAt: 'DESC', id: 'ASC' }, skip: (query.page - 1) * query.pageSize, take: query.pageSize }),
    );
    return { messages: rows.map(view), total, page: query.page, pageSize: query.pageSize };
  }

  async get(id: string): Promise<QuarantinedMailView> {
    return view(await this.find(id));
  }

  /** The mail as fetched, read from the database a part at a time as the client takes it. */
  async raw(id: string): Promise<{ size: number; content: Readable }> {
    const row = await this.find(id);
    const parts = await this.db.run((em) => countParts(em, QUARANTINE_PARTS, row.id));
    return { size: row.size, content: Readable.from(readParts(this.db, QUARANTINE_PARTS, row.id, parts)) };
  }

  async remove(id: string): Promise<void> {
    await this.find(id);
    await this.db.run((em) => em.delete(QuarantinedMail, { id }));
  }

  /**
   * Runs the mail through the pipeline again, as a fetch would (without an acknowledgement:
   * the requester wrote a while ago). Becoming a request, a message or a duplicate removes
   * the row in the same transaction; ending in quarantine again keeps the row, with the new
   * reason.
   */
  async retry(id: string): Promise<RetryResultView> {
    const row = await this.find(id);
    const mailbox = await this.db.run((em) => em.findOne(Mailbox, { where: { id: row.mailboxId } }));
    if (!mailbox) throw new ConflictError(`the mailbox of this mail was deleted; there are no settings to retry it with`);
    const raw = await readWhole(this.db, QUARANTINE_PARTS, row.id, row.size, this.config.spoolAboveBytes);
    try {
      return await this.retryMail(id, raw, { mailbox, firstImport: true, receivedAt: row.receivedAt });
    } finally {
      this.intake.release(raw);
    }
  }

  private async retryMail(id: string, raw: MailBytes, context: IntakeContext): Promise<RetryResultView> {
    const prepared = await this.intake.prepare(raw, context);
    // Counted only when the retry commits: one that ends in quarantine again rolls back and counts nothing.
    const effects = new CommitEffects();
    try {
      const answer = await this.db.transaction(async (em) => {
        const deleted = await em.delete(QuarantinedMail, { id });
        if (!deleted.affected) throw new NotFoundError('quarantined mail', id);
        const [result] = await this.intake.store(em, [{ mail: prepared, context }], effects.add);
        if (result.outcome === 'quarantined') {
          const { reason, detail } = quarantineOf(prepared.mail);
          throw new StillQuarantined(reason, detail);
        }
        const stored = prepared.mail.stored!;
        const request = stored.requestId && stored.requestNumber !== null ? { id: stored.requestId, number: stored.requestNumber } : null;
        return { outcome: result.outcome, request, reason: null, detail: null, quarantine: null };
      });
      effects.run();
      return answer;
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      const { reason, detail } =
        error instanceof StillQuarantined ? error : { reason: 'storage failed', detail: `could not be stored: ${error instanceof Error ? error.message : String(error)}` };
      await this.db.run((em) =>
        em.update(QuarantinedMail, { id }, { reason: reason.slice(0, 64), detail, retries: () => 'retries + 1', lastRetryAt: new Date() }),
      );
      return { outcome: 'quarantined', request: null, reason, detail, quarantine: id };
    }
  }

  private async find(id: string): Promise<QuarantinedMail> {
    const row = UUID.test(id) ? await this.db.run((em) => em.findOne(QuarantinedMail, { where: { id }, select: LISTED })) : null;
    if (!row) throw new NotFoundError('quarantined mail', id);
    return row;
  }
}

function view(row: QuarantinedMail): QuarantinedMailView {
  return {
    id: row.id,
    mailbox: row.mailboxId,
    reason: row.reason,
    detail: row.detail,
    receivedAt: row.receivedAt.toISOString(),
    size: row.size,
    subject: row.subject,
    from: row.from,
    messageId: row.messageId,
    retries: row.retries,
    lastRetryAt: row.lastRetryAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
