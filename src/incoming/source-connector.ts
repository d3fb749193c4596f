import { Injectable } from '@nestjs/common';
import { AuthenticationError } from '../core/errors';
import { MailboxLogService } from '../mailboxes/mailbox-log.service';
import { createMailSource } from './adapters/source.registry';
import type { MailSource, MailSourceOptions } from './mail-source.port';

/**
 * Opens a MailSource. An OAuth2 refusal gets ONE forced token refresh and a second try
 * before it counts as an authentication failure: a token revoked or expired early on the
 * provider's side is common, a refresh fixes it, and the admin never sees the blip.
 */
@Injectable()
export class SourceConnector {
  constructor(private readonly logs: MailboxLogService) {}

  async open(mailboxId: string, options: MailSourceOptions): Promise<MailSource> {
    const source = createMailSource(options);
    try {
      await source.connect();
      return source;
    } catch (error) {
      await source.close().catch(() => undefined);
      if (!(error instanceof AuthenticationError) || options.credentials.kind !== 'oauth2') throw error;
      await this.logs.append(mailboxId, { level: 'warn', event: 'oauth', side: 'incoming', message: 'the server refused the access token; refreshing it once and retrying' });
      await options.credentials.accessToken({ forceRefresh: true });
      const retry = createMailSource(options);
      try {
        await retry.connect();
        return retry;
      } catch (retryError) {
        await retry.close().catch(() => undefined);
        throw retryError;
      }
    }
  }
}
