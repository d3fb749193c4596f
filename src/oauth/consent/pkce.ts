import crypto from 'node:crypto';

/**
 * The random values of one consent. 32 random bytes, base64url: 43 characters, inside RFC 7636
 * §4.1's 43–128 for the code_verifier and far beyond guessing for `state` (RFC 6749 §10.12).
 */
export function randomUrlSafe(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

/** RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))), method S256. */
export function codeChallengeS256(codeVerifier: string): string {
  return crypto.createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

/** What the database keeps of a `state`: enough to recognise it, useless to replay it. */
export function hashState(state: string): string {
  return crypto.createHash('sha256').update(state, 'utf8').digest('hex');
}
