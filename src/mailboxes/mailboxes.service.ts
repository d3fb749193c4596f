import { Inject, Injectable } from '@nestjs/common';
import { SecretBox } from '../core/crypto/secret-box';
import { Database } from '../core/database/database';
import { InvalidInputError, NotFoundError } from '../core/errors';
import type { CreateMailboxDto, UpdateMailboxDto } from './dto/mailbox-input.dto';
import { MailboxExtensions } from './mailbox-extensions';
import { MailboxLogService } from './mailbox-log.service';
import { INCOMING_SERVER_FIELDS, resolveIncoming, resolveOutgoing } from './mailbox-settings.rules';
import { Mailbox } from './mailbox.entity';
import type { IncomingSettings, OutgoingSettings, SideState } from './mailbox.types';
import { MailboxLogEntry } from './mailbox-log.entity';

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

@Injectable()
export class MailboxesService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    private readonly extensions: MailboxExtensions,
    private readonly logs: MailboxLogService,
  ) {}

  async create(input: CreateMailboxDto): Promise<Mailbox> {
    const incoming = resolveIncoming(input.incoming, null);
    const emailAddresses = normalizeAddresses(input.emailAddresses);
    const outgoing = input.outgoing ? resolveOutgoing(input.outgoing, null, incoming, emailAddresses, input.name) : null;
    await this.checkOAuthApps(incoming, outgoing);
    if (incoming.authType === 'password' && !input.incoming.password) throw new InvalidInputError('incoming.password', 'is required for password login');
    if (outgoing?.authType === 'password' && !input.outgoing?.password) throw new InvalidInputError('outgoing.password', 'is required for password login');

    const mailbox = await this.db.transaction(async (em) => {
      const row = em.create(Mailbox, {
        name: input.name.trim(),
        emailAddresses,
        incoming,
        incomingPasswordSealed: incoming.authType === 'password' ? this.secretBox.seal(input.incoming.password!) : null,
        incomingOAuthAppId: incoming.oauth2App,
        outgoing,
        outgoingPasswordSealed: outgoing?.authType === 'password' ? this.secretBox.seal(input.outgoing!.password!) : null,
        outgoingOAuthAppId: outgoing?.oauth2App ?? null,
        incomingState: initialState(incoming),
        outgoingState: outgoing ? initialState(outgoing) : 'disabled',
        nextFetchAt: incoming.enabled ? new Date() : null,
      });
      return em.save(row);
    });
    await this.logs.append(mailbox.id, { level: 'info', event: 'settings', message: `mailbox created (${incoming.protocol}${outgoing ? ` / ${outgoing.protocol}` : ''})` });
    this.extensions.notify(mailbox.id, 'settings');
    return mailbox;
  }

  async update(id: string, input: UpdateMailboxDto): Promise<Mailbox> {
    const current = await this.get(id);
    const name = input.name?.trim() ?? current.name;
    const emailAddresses = input.emailAddresses ? normalizeAddresses(input.emailAddresses) : current.emailAddresses;
    const incoming = input.incoming ? resolveIncoming(input.incoming, current.incoming) : current.incoming;
    let outgoing: OutgoingSettings | null = current.outgoing;
    if (input.outgoing === null) outgoing = null;
    else if (input.outgoing || input.incoming) {
      outgoing = input.outgoing || current.outgoing ? resolveOutgoing(input.outgoing ?? {}, current.outgoing, incoming, emailAddresses, name) : null;
    }
    await this.checkOAuthApps(incoming, outgoing);

    const changes: Partial<Mailbox> = { name, emailAddresses, incoming, outgoing, incomingOAuthAppId: incoming.oauth2App, outgoingOAuthAppId: outgoing?.oauth2App ?? null };
    changes.incomingPasswordSealed = this.passwordAfter(incoming.authType, input.incoming?.password, current.incomingPasswordSealed, 'incoming');
    changes.outgoingPasswordSealed = outgoing ? this.passwordAfter(outgoing.authType, input.outgoing?.password, current.outgoingPasswordSealed, 'outgoing') : null;

    const serverChanged =
      INCOMING_SERVER_FIELDS.some((field) => JSON.stringify(incoming[field]) !== JSON.stringify(current.incoming[field])) || input.incoming?.password !== undefined;
    if (serverChanged) {
      // New server settings get a fresh chance: state re-derived, backoff reset, fetched soon.
      changes.settingsVersion = current.settingsVersion + 1;
      changes.incomingState = await this.stateAfterChange(id, 'incoming', incoming);
      changes.incomingLastError = null;
      changes.failedRuns = 0;
      changes.failingSince = null;
      changes.nextFetchAt = incoming.enabled ? new Date() : null;
    } else if (incoming.fetchIntervalMinutes !== current.incoming.fetchIntervalMinutes && current.lastFetchAt) {
      changes.nextFetchAt = new Date(current.lastFetchAt.getTime() + incoming.fetchIntervalMinutes * 60_000);
    }
    const outgoingChanged = JSON.stringify(outgoing) !== JSON.stringify(current.outgoing) || input.outgoing?.password !== undefined;
    if (outgoingChanged) {
      changes.outgoingState = outgoing ? await this.stateAfterChange(id, 'outgoing', outgoing) : 'disabled';
      changes.outgoingLastError = null;
    }
    await this.db.run((em) => em.update(Mailbox, { id }, changes));
    await this.logs.append(id, { level: 'info', event: 'settings', message: serverChanged ? 'settings changed; reconnecting' : 'settings changed' });
    // Listeners reconnect (IDLE), drop grants the new settings cannot use, and let mail that
    // waited for the admin (outbox) go now.
    if (serverChanged || outgoingChanged) this.extensions.notify(id, 'settings');
    return this.get(id);
  }

  async get(id: string): Promise<Mailbox> {
    if (!isUuid(id)) throw new NotFoundError('mailbox', id);
    const mailbox = await this.db.run((em) => em.findOne(Mailbox, { where: { id } }));
    if (!mailbox) throw new NotFoundError('mailbox', id);
    return mailbox;
  }

  async list(page: number, pageSize: number): Promise<Page<Mailbox>> {
    const [items, total] = await this.db.run((em) => em.findAndCount(Mailbox, { order: { createdAt: 'ASC', id: 'ASC' }, skip: (page - 1) * pageSize, take: pageSize }));
    return { items, total, page, pageSize };
  }

  /** Deletes the mailbox and what only it uses (grants, cursors, logs); its requests stay. */
  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.extensions.beforeDelete(id);
    await this.db.transaction(async (em) => {
      await em.delete(MailboxLogEntry, { mailboxId: id });
      await em.delete(Mailbox, { id });
    });
    this.extensions.notify(id, 'deleted');
  }

  /** Bookkeeping of a fetch run (times, backoff); not a settings change. */
  async recordFetch(id: string, changes: Pick<Partial<Mailbox>, 'lastFetchAt' | 'lastSuccessAt' | 'failedRuns' | 'failingSince' | 'nextFetchAt' | 'reconciliation'>): Promise<void> {
    await this.db.run((em) => em.update(Mailbox, { id }, changes));
  }

  /** The decrypted password of one side, for the adapters; never for a response. */
  password(mailbox: Mailbox, side: 'incoming' | 'outgoing'): string | null {
    return this.secretBox.openOptional(side === 'incoming' ? mailbox.incomingPasswordSealed : mailbox.outgoingPasswordSealed);
  }

  /**
   * The state a side starts from after its settings changed: an OAuth2 side whose grant
   * still belongs to the configured app stays usable ('connecting'), not back to
   * 'authorizationRequired'.
   */
  private async stateAfterChange(id: string, side: 'incoming' | 'outgoing', settings: IncomingSettings | OutgoingSettings): Promise<SideState> {
    const state = initialState(settings);
    if (state !== 'authorizationRequired' || !settings.oauth2App) return state;
    const grantSide = side === 'outgoing' && (settings as OutgoingSettings).sameAsIncoming ? 'incoming' : side;
    const rows: unknown[] = await this.db.run((em) =>
      em.query('SELECT 1 FROM oauth_grant WHERE mailbox_id = $1 AND side = $2 AND app_id = $3 AND NOT needs_reauthorization', [id, grantSide, settings.oauth2App]),
    );
    return rows.length > 0 ? 'connecting' : state;
  }

  private passwordAfter(authType: string, given: string | null | undefined, sealed: string | null, side: string): string | null {
    if (authType !== 'password') return null;
    if (given) return this.secretBox.seal(given);
    if (given === null || !sealed) throw new InvalidInputError(`${side}.password`, 'is required for password login');
    return sealed;
  }

  private async checkOAuthApps(incoming: IncomingSettings, outgoing: OutgoingSettings | null): Promise<void> {
    for (const [field, appId] of [
      ['incoming.oauth2App', incoming.oauth2App],
      ['outgoing.oauth2App', outgoing?.oauth2App ?? null],
    ] as const) {
      if (!appId) continue;
      const found = isUuid(appId) && (await this.db.run((em) => em.query('SELECT 1 FROM oauth_app WHERE id = $1', [appId]).catch(() => [])));
      if (!found || found.length === 0) throw new InvalidInputError(field, `names no OAuth2 application (${appId})`);
    }
  }
}

function initialState(settings: { enabled: boolean; authType: string }): SideState {
  if (!settings.enabled) return 'disabled';
  return settings.authType === 'oauth2' ? 'authorizationRequired' : 'connecting';
}

function normalizeAddresses(addresses: string[]): string[] {
  return [...new Set(addresses.map((a) => a.trim().toLowerCase()))];
}

export const isUuid = (value: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
