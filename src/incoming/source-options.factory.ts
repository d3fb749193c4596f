import { Inject, Injectable } from '@nestjs/common';
import type { Credentials, TranscriptSink } from '../core/net/connection-options';
import { configuredDeadlines, type Deadlines } from '../core/net/connection-options';
import { APP_CONFIG, type AppConfig } from '../core/config/app-config';
import { MailboxLogService } from '../mailboxes/mailbox-log.service';
import type { Mailbox } from '../mailboxes/mailbox.entity';
import { MailboxesService } from '../mailboxes/mailboxes.service';
import { OAuthTokenService } from '../oauth/grants/oauth-token.service';
import type { MailSourceOptions } from './mail-source.port';

/** Debug transcript lines are written to the mailbox log in batches, not one INSERT per line. */
export class TranscriptRecorder {
  private lines: string[] = [];

  constructor(
    private readonly logs: MailboxLogService,
    private readonly mailboxId: string,
    private readonly side: 'incoming' | 'outgoing',
  ) {}

  readonly sink: TranscriptSink = (direction, line) => {
    this.lines.push(`${direction === 'client' ? 'C:' : 'S:'} ${line}`);
  };

  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    // Chunks of 50 lines per entry keep the log readable and the row count bounded.
    const entries = [];
    for (let i = 0; i < lines.length; i += 50) {
      entries.push({ level: 'debug' as const, event: 'transcript', side: this.side, message: lines.slice(i, i + 50).join('\n') });
    }
    await this.logs.append(this.mailboxId, ...entries);
  }
}

/** Turns a mailbox's stored incoming settings into what a MailSource adapter needs. */
@Injectable()
export class SourceOptionsFactory {
  constructor(
    private readonly mailboxes: MailboxesService,
    private readonly logs: MailboxLogService,
    @Inject(OAuthTokenService) private readonly tokens: OAuthTokenService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  build(mailbox: Mailbox, deadlines: Deadlines = this.deadlines()): { options: MailSourceOptions; transcript: TranscriptRecorder | null } {
    const settings = mailbox.incoming;
    const transcript = settings.debug ? new TranscriptRecorder(this.logs, mailbox.id, 'incoming') : null;
    return {
      options: {
        protocol: settings.protocol,
        endpoint: { host: settings.host ?? '', port: settings.port ?? 0, caCertificate: settings.caCertificate },
        connectUrl: settings.connectUrl,
        credentials: this.credentials(mailbox),
        folder: settings.folder,
        deadlines,
        transcript: transcript?.sink,
        spoolAboveBytes: this.config.spoolAboveBytes,
      },
      transcript,
    };
  }

  /** The configured deadlines for every network step. */
  deadlines(): Deadlines {
    return configuredDeadlines(this.config);
  }

  private credentials(mailbox: Mailbox): Credentials {
    const settings = mailbox.incoming;
    if (settings.authType === 'password') {
      return { kind: 'password', username: settings.username ?? '', password: this.mailboxes.password(mailbox, 'incoming') ?? '' };
    }
    // The OAuth2 module refreshes before use and says how to authorize when there is no grant.
    return this.tokens.credentials(mailbox.id, 'incoming', settings.username ?? mailbox.emailAddresses[0]);
  }
}
