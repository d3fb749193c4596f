import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../core/database/database';
import { Mailbox } from './mailbox.entity';
import { MailboxLogService } from './mailbox-log.service';
import type { LastError, Side, SideState } from './mailbox.types';

export interface StateError {
  code: string;
  message: string;
}

/**
 * The state of each side of a mailbox, as the admin sees it. Every change of state and
 * every error is written to the mailbox log, so a failure is never only in a server log.
 */
@Injectable()
export class MailboxStateService {
  constructor(
    @Inject(Database) private readonly db: Database,
    private readonly logs: MailboxLogService,
  ) {}

  async set(mailboxId: string, side: Side, state: SideState, error: StateError | null = null): Promise<void> {
    const stateColumn = side === 'incoming' ? 'incomingState' : 'outgoingState';
    const errorColumn = side === 'incoming' ? 'incomingLastError' : 'outgoingLastError';
    const previous = await this.db.run((em) => em.findOne(Mailbox, { where: { id: mailboxId }, select: { id: true, [stateColumn]: true } }));
    if (!previous) return;
    const lastError: LastError | null = error ? { code: error.code, message: error.message, at: new Date().toISOString() } : null;
    const changes: Partial<Mailbox> = { [stateColumn]: state };
    // A success clears the last error; a state without an error (e.g. connecting) keeps it for context.
    if (error || state === 'connected' || state === 'disabled') (changes as Record<string, unknown>)[errorColumn] = lastError;
    await this.db.run((em) => em.update(Mailbox, { id: mailboxId }, changes));
    const before = previous[stateColumn];
    if (error) {
      await this.logs.append(mailboxId, { level: 'error', event: 'error', side, message: `${side}: ${error.code}: ${error.message}` });
    }
    if (before !== state) {
      await this.logs.append(mailboxId, { level: error ? 'warn' : 'info', event: 'state', side, message: `${side} state: ${before} → ${state}` });
    }
  }
}
