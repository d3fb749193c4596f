import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { TranscriptRedactor } from '../transcript-redactor';
import { imapFlowLogger } from './imap-client.factory';

/** imapflow's own answer to "is anyone listening at this level?" (it serialises a log line only if so). */
function levelsImapflowLogs(redactor: TranscriptRedactor): string[] {
  const client = new ImapFlow({ host: '127.0.0.1', port: 1, logger: imapFlowLogger(redactor, () => undefined) });
  const check = client as unknown as { isLogLevelEnabled(level: string): boolean };
  return ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].filter((level) => check.isLogLevelEnabled(level));
}

describe('imapFlowLogger', () => {
  it('without a debug transcript, imapflow builds no protocol log lines (every FETCH response would be serialised for nothing)', () => {
    assert.deepEqual(levelsImapflowLogs(new TranscriptRedactor(undefined)), ['warn', 'error', 'fatal']);
  });

  it('with a debug transcript, imapflow hands over the protocol lines at trace and debug', () => {
    const lines: string[] = [];
    const redactor = new TranscriptRedactor((direction, line) => lines.push(`${direction} ${line}`));
    assert.deepEqual(levelsImapflowLogs(redactor), ['trace', 'debug', 'warn', 'error', 'fatal']);
    imapFlowLogger(redactor, () => undefined).debug({ src: 's', msg: '* OK ready' });
    assert.deepEqual(lines, ['server * OK ready']);
  });

  it('passes the errors imapflow only logs to the source', () => {
    const errors: unknown[] = [];
    const logger = imapFlowLogger(new TranscriptRedactor(undefined), (err) => errors.push(err));
    logger.warn({ msg: 'move failed', err: new Error('NO [TRYCREATE]') });
    assert.equal((errors[0] as Error).message, 'NO [TRYCREATE]');
  });
});
