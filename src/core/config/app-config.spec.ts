import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('starts with no environment at all, on the embedded database', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.databaseUrl, null);
    assert.equal(config.enableOAuthTokensApi, false);
    assert.ok(config.dataDir.endsWith('data'));
  });

  it('leaves a core to the main thread: one parse worker per core but one, at least one; large mail spooled above 4 MiB', () => {
    const config = loadConfig({});
    assert.equal(config.parseWorkers, Math.max(1, os.availableParallelism() - 1));
    assert.equal(loadConfig({ DESKMAIL_PARSE_WORKERS: '0' }).parseWorkers, 0);
    assert.equal(config.spoolAboveBytes, 4 * 1024 * 1024);
    assert.equal(loadConfig({ DESKMAIL_SPOOL_ABOVE_KB: '256' }).spoolAboveBytes, 256 * 1024);
    assert.throws(() => loadConfig({ DESKMAIL_SPOOL_ABOVE_KB: '0' }), { message: /^DESKMAIL_SPOOL_ABOVE_KB: expected a whole number/ });
  });

  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /^PORT: expected a whole number from 0 to 65535, got "abc"$/],
    [{ PORT: '70000' }, /^PORT: /],
    [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL: expected a URL like postgres:/],
    [{ DATABASE_URL: 'mysql://root@localhost/x' }, /^DATABASE_URL: /],
    [{ DATABASE_URL: 'postgres://u:hunter2@/' }, /^DATABASE_URL: .*u:\*\*\*@/],
    [{ DESKMAIL_SECRET: 'short' }, /^DESKMAIL_SECRET: expected at least 32 characters, got "5 characters"$/],
    [{ DESKMAIL_ENABLE_OAUTH_TOKENS_API: 'maybe' }, /^DESKMAIL_ENABLE_OAUTH_TOKENS_API: expected "true" or "false"/],
    [{ DESKMAIL_PUBLIC_URL: 'ftp://x' }, /^DESKMAIL_PUBLIC_URL: /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
  ];
  for (const [env, message] of refused) {
    it(`refuses ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        assert.ok(!error.message.includes('\n'));
        assert.ok(!error.message.includes('hunter2'), 'a password in DATABASE_URL is never echoed');
        return true;
      });
    });
  }

  it('keeps valid values', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      DESKMAIL_SECRET: 'x'.repeat(32),
      DESKMAIL_ENABLE_OAUTH_TOKENS_API: 'true',
      DESKMAIL_PUBLIC_URL: 'https://helpdesk.example.com/',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, 'postgres://postgres@127.0.0.1:5432/test');
    assert.equal(config.enableOAuthTokensApi, true);
    assert.equal(config.publicUrl, 'https://helpdesk.example.com');
  });
});
