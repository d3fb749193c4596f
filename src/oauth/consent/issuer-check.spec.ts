import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { issuerProblem } from './issuer-check';

const google = { authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth', tokenUrl: 'https://oauth2.googleapis.com/token' };

describe('RFC 9207 issuer check', () => {
  it('accepts a response without iss, and the issuer of the app’s own server', () => {
    assert.equal(issuerProblem(undefined, google), null);
    assert.equal(issuerProblem('https://accounts.google.com', google), null);
    assert.equal(issuerProblem('https://oauth2.googleapis.com/', google), null);
    assert.equal(issuerProblem('http://127.0.0.1:4321', { authorizeUrl: 'http://127.0.0.1:4321/auth', tokenUrl: 'http://127.0.0.1:4321/token' }), null);
  });

  it('refuses another server, another port or scheme, and a value that is no URL', () => {
    assert.match(issuerProblem('https://evil.example', google)!, /not from the authorization server .*https:\/\/accounts\.google\.com.*mix-up/);
    assert.match(issuerProblem('http://accounts.google.com', google)!, /mix-up/);
    assert.match(issuerProblem('http://127.0.0.1:4322', { authorizeUrl: 'http://127.0.0.1:4321/auth', tokenUrl: null })!, /mix-up/);
    assert.match(issuerProblem('javascript:alert(1)', google)!, /not an issuer URL/);
    assert.match(issuerProblem('', google)!, /not an issuer URL/);
  });
});
