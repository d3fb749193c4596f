import { Inject, Injectable } from '@nestjs/common';
import { SecretBox } from '../../core/crypto/secret-box';
import { Database } from '../../core/database/database';
import { ConflictError, InvalidInputError, NotFoundError } from '../../core/errors';
import { Mailbox } from '../../mailboxes/mailbox.entity';
import { isUuid } from '../oauth-ids';
import { presetOf } from '../providers/provider-presets';
import { NEVER_CLEARED, type CreateOAuthAppDto, type UpdateOAuthAppDto } from './oauth-app.dto';
import { OAuthApp } from './oauth-app.entity';
import { checkAppSettings, effectiveApp, type EffectiveApp } from './oauth-app.rules';
import { settingsOf } from './oauth-app.view';

/** Fields a create/PATCH copies as given (null clears an override). */
const PLAIN_FIELDS = ['name', 'provider', 'clientId', 'redirectUrl', 'authority', 'baseScope', 'authorizeUrl', 'tokenUrl', 'scopes', 'additionalScopes', 'tokenEndpointAuthMethod', 'enabled'] as const;

/** An app with its effective settings and opened secret, for the consent and token code. */
export interface UsableApp {
  app: OAuthApp;
  effective: EffectiveApp;
  clientSecret: string | null;
}

@Injectable()
export class OAuthAppsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
  ) {}

  async create(input: CreateOAuthAppDto): Promise<OAuthApp> {
    const app = new OAuthApp();
    Object.assign(app, { clientSecretSealed: null, clientSecretExpiresAt: null, redirectUrl: null, authority: null, baseScope: 'imap', authorizeUrl: null, tokenUrl: null, scopes: null, additionalScopes: [], tokenEndpointAuthMethod: null, enabled: true });
    this.apply(app, input);
    app.name = input.name?.trim() || presetOf(input.provider).name;
    checkAppSettings(settingsOf(app));
    return this.db.run((em) => em.save(app));
  }

  async list(page: number, pageSize: number): Promise<{ items: OAuthApp[]; total: number }> {
    const [items, total] = await this.db.run((em) =>
      em.findAndCount(OAuthApp, { order: { createdAt: 'ASC', id: 'ASC' }, skip: (page - 1) * pageSize, take: pageSize }),
    );
    return { items, total };
  }

  async get(id: string): Promise<OAuthApp> {
    const app = isUuid(id) ? await this.db.run((em) => em.findOneBy(OAuthApp, { id })) : null;
    if (!app) throw new NotFoundError('OAuth2 app', id);
    return app;
  }

  /** The app ready for use at the authorization server (null when it no longer exists). */
  async usable(id: string): Promise<UsableApp | null> {
    const app = isUuid(id) ? await this.db.run((em) => em.findOneBy(OAuthApp, { id })) : null;
    if (!app) return null;
    return { app, effective: effectiveApp(settingsOf(app)), clientSecret: this.secretBox.openOptional(app.clientSecretSealed) };
  }

  async update(id: string, input: UpdateOAuthAppDto): Promise<OAuthApp> {
    return this.db.transaction(async (em) => {
      const app = isUuid(id) ? await em.findOne(OAuthApp, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!app) throw new NotFoundError('OAuth2 app', id);
      const cleared = NEVER_CLEARED.find((field) => input[field] === null);
      if (cleared) throw new InvalidInputError(cleared, 'cannot be cleared (null); leave it out to keep the current value');
      // Switching provider drops overrides that only made sense for the old one.
      if (input.provider && input.provider !== app.provider && input.authority === undefined && input.provider !== 'outlook') app.authority = null;
      this.apply(app, input);
      if (input.name !== undefined) app.name = input.name.trim();
      checkAppSettings(settingsOf(app));
      return em.save(app);
    });
  }

  async remove(id: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const app = isUuid(id) ? await em.findOne(OAuthApp, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!app) throw new NotFoundError('OAuth2 app', id);
      const users = await em
        .createQueryBuilder(Mailbox, 'm')
        .select(['m.id', 'm.name'])
        .where('m.incomingOAuthAppId = :id OR m.outgoingOAuthAppId = :id', { id })
        .orderBy('m.name')
        .getMany();
      if (users.length > 0) {
        const names = users.slice(0, 5).map((m) => `"${m.name}" (${m.id})`).join(', ');
        throw new ConflictError(`OAuth2 app ${id} is used by ${users.length} mailbox(es): ${names}${users.length > 5 ? ', …' : ''}; change their oauth2App first`);
      }
      // Grants and pending consents of the app go with it (foreign keys ON DELETE CASCADE).
      await em.delete(OAuthApp, { id });
    });
  }

  private apply(app: OAuthApp, input: CreateOAuthAppDto | UpdateOAuthAppDto): void {
    const target = app as unknown as Record<string, unknown>;
    for (const field of PLAIN_FIELDS) {
      const value = (input as Record<string, unknown>)[field];
      if (value !== undefined) target[field] = typeof value === 'string' ? value.trim() : value;
    }
    if (input.additionalScopes) app.additionalScopes = [...new Set(input.additionalScopes.map((s) => s.trim()).filter(Boolean))];
    if (input.scopes) {
      const scopes = [...new Set(input.scopes.map((s) => s.trim()).filter(Boolean))];
      app.scopes = scopes.length ? scopes : null;
    }
    if (input.clientSecret !== undefined) app.clientSecretSealed = this.secretBox.sealOptional(input.clientSecret);
    if (input.clientSecretExpiresAt !== undefined) app.clientSecretExpiresAt = input.clientSecretExpiresAt ? new Date(input.clientSecretExpiresAt) : null;
  }
}
