import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError } from '../../core/errors';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import { configuredDeadlines, type Credentials, type Deadlines } from '../../core/net/connection-options';
import { TranscriptRecorder } from '../../incoming/source-options.factory';
import { MailboxLogService } from '../../mailboxes/mailbox-log.service';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { MailboxesService } from '../../mailboxes/mailboxes.service';
import { OAuthTokenService } from '../../oauth/grants/oauth-token.service';
import type { MailTransportOptions } from '../mail-transport.port';

/** Turns a mailbox's stored outgoing settings into what a MailTransport adapter needs. */
@Injectable()
export class TransportOptionsFactory {
  constructor(
    private readonly mailboxes: MailboxesService,
    private readonly logs: MailboxLogService,
    @Inject(OAuthTokenService) private readonly tokens: OAuthTokenService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  build(mailbox: Mailbox, deadlines: Deadlines = configuredDeadlines(this.config)): { options: MailTransportOptions; transcript: TranscriptRecorder | null } {
    const settings = mailbox.outgoing;
    if (!settings) throw new InvalidInputError('outgoing', `is not configured for mailbox ${mailbox.name}`);
    // debug: the SMTP adapter redacts AUTH payloads before the lines reach the recorder.
    const transcript = settings.debug ? new TranscriptRecorder(this.logs, mailbox.id, 'outgoing') : null;
    return {
      options: {
        protocol: settings.protocol,
        endpoint: { host: settings.host ?? '', port: settings.port ?? 0, caCertificate: settings.caCertificate },
        alternateHost: settings.alternateHost,
        // RFC 3207: `tls` on smtp means STARTTLS is required, not merely tried.
        requireTls: settings.tls,
        connectUrl: settings.connectUrl,
        credentials: this.credentials(mailbox),
        deadlines,
        transcript: transcript?.sink,
      },
      transcript,
    };
  }

  private credentials(mailbox: Mailbox): Credentials {
    const settings = mailbox.outgoing!;
    switch (settings.authType) {
      case 'none':
        return { kind: 'none' };
      case 'password':
        return { kind: 'password', username: settings.username ?? '', password: this.mailboxes.password(mailbox, 'outgoing') ?? '' };
      case 'oauth2':
        // With sameAsIncoming the token service hands out the incoming grant's token.
        return this.tokens.credentials(mailbox.id, 'outgoing', settings.username ?? settings.senderAddress ?? mailbox.emailAddresses[0]);
    }
  }
}
