import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { SecretBox, SecretBoxError } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(crypto.randomBytes(32));

  it('round-trips a secret and never shows it in the sealed form', () => {
    const sealed = box.seal('client-secret-value');
    assert.ok(!sealed.includes('client-secret-value'));
    assert.equal(box.open(sealed), 'client-secret-value');
  });

  it('uses a fresh IV for every value', () => {
    assert.notEqual(box.seal('same'), box.seal('same'));
  });

  it('rejects a tampered ciphertext, tag or IV instead of returning garbage', () => {
    const sealed = box.seal('refresh-token');
    const parts = sealed.split('.');
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index], 'base64url');
      bytes[0] ^= 1;
      const tampered = [...parts];
      tampered[index] = bytes.toString('base64url');
      assert.throws(() => box.open(tampered.join('.')), SecretBoxError);
    }
  });

  it('rejects a value sealed with another key, naming the likely cause', () => {
    const other = new SecretBox(crypto.randomBytes(32));
    assert.throws(() => box.open(other.seal('x')), /unknown key/);
  });

  it('opens values sealed with a previous key after rotation', () => {
    const oldKey = crypto.randomBytes(32);
    const sealedWithOld = new SecretBox(oldKey).seal('kept');
    const rotated = new SecretBox(crypto.randomBytes(32), [oldKey]);
    assert.equal(rotated.open(sealedWithOld), 'kept');
  });

  it('derives the same key from the same passphrase', () => {
    const a = SecretBox.fromPassphrase('p'.repeat(40));
    const b = SecretBox.fromPassphrase('p'.repeat(40));
    assert.equal(b.open(a.seal('v')), 'v');
  });

  it('refuses plaintext that was never sealed', () => {
    assert.throws(() => box.open('plain-password'), SecretBoxError);
  });
});
