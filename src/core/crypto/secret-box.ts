import crypto from 'node:crypto';

/**
 * AES-256-GCM for every secret column. Format: `v1.<keyId>.<iv>.<tag>.<ciphertext>`
 * (base64url parts). The key id lets keys rotate later: a box can hold old keys for
 * opening and one key for sealing. Anything that does not authenticate is an error,
 * never garbage and never a plaintext fallback.
 */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

const VERSION = 'v1';
const IV_BYTES = 12;

export class SecretBox {
  private readonly keysById = new Map<string, Buffer>();
  private readonly sealingKeyId: string;

  constructor(key: Buffer, previousKeys: Buffer[] = []) {
    if (key.length !== 32) throw new SecretBoxError('the secret box key must be 32 bytes');
    this.sealingKeyId = SecretBox.keyId(key);
    for (const k of [key, ...previousKeys]) this.keysById.set(SecretBox.keyId(k), k);
  }

  /** Derives the 32-byte key from `DESKMAIL_SECRET` (any length ≥ 32 characters). */
  static fromPassphrase(secret: string): SecretBox {
    const key = Buffer.from(crypto.hkdfSync('sha256', secret, 'deskmail', 'deskmail secret box v1', 32));
    return new SecretBox(key);
  }

  /** Short public fingerprint of a key; never reveals the key. */
  static keyId(key: Buffer): string {
    return crypto.createHash('sha256').update(key).digest('base64url').slice(0, 8);
  }

  seal(plaintext: string): string {
    const iv = crypto.randomBytes(IV_BYTES);
    const key = this.keysById.get(this.sealingKeyId)!;
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
    // The key id is bound as associated data, so a value cannot be moved between key generations.
    cipher.setAAD(Buffer.from(`${VERSION}.${this.sealingKeyId}`));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.sealingKeyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretBoxError('not a sealed secret');
    const [, keyId, ivPart, tagPart, dataPart] = parts;
    const key = this.keysById.get(keyId);
    if (!key) throw new SecretBoxError(`sealed with an unknown key (${keyId}); was DESKMAIL_SECRET changed?`);
    const iv = Buffer.from(ivPart, 'base64url');
    const tag = Buffer.from(tagPart, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== 16) throw new SecretBoxError('not a sealed secret');
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(`${VERSION}.${keyId}`));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(dataPart, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new SecretBoxError('sealed secret failed authentication (tampered or wrong key)', { cause });
    }
  }

  sealOptional(plaintext: string | null | undefined): string | null {
    return plaintext === null || plaintext === undefined ? null : this.seal(plaintext);
  }

  openOptional(sealed: string | null | undefined): string | null {
    return sealed === null || sealed === undefined ? null : this.open(sealed);
  }
}
