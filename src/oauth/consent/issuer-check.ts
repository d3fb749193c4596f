/**
 * RFC 9207: an authorization server may name itself in the authorization response (`iss`).
 * A response naming another server than the one the consent was started with is the mark
 * of a mix-up attack (a code from one server sent to another's token endpoint), so it is
 * refused before the code is exchanged, and before an error response is believed.
 *
 * deskmail keeps no metadata document per app, so "the app's server" is the origin of its
 * authorization endpoint or of its token endpoint; the issuer identifiers of Google,
 * Microsoft and oidc-provider share the origin of their endpoints. A response without `iss`
 * is accepted: most providers (Microsoft among them) do not send it.
 */
export function issuerProblem(iss: string | undefined, endpoints: { authorizeUrl: string | null; tokenUrl: string | null }): string | null {
  if (iss === undefined) return null;
  const issuer = originOf(iss);
  if (!issuer) return `The authorization server named itself "${excerpt(iss)}", which is not an issuer URL.`;
  const expected = [endpoints.authorizeUrl, endpoints.tokenUrl].map((url) => (url ? originOf(url) : null)).filter((origin): origin is string => !!origin);
  if (expected.includes(issuer)) return null;
  return `The answer came from "${excerpt(iss)}", not from the authorization server this consent was started with (${expected[0] ?? 'unknown'}); it was refused (RFC 9207 mix-up defence).`;
}

function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

function excerpt(value: string): string {
  return value.length > 120 ? `${value.slice(0, 120)}…` : value;
}
