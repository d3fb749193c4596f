/**
 * The API token lives in sessionStorage only: it ends with the browser tab, never appears in a
 * URL, and is sent as `Authorization: Bearer` by the API client alone.
 */
const KEY = 'deskmail.apiToken';

export type SignOutReason = 'signedOut' | 'rejected';

type Listener = (reason: SignOutReason | null) => void;
const listeners = new Set<Listener>();

export function currentToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, token);
  listeners.forEach((listener) => listener(null));
}

/** `rejected`: the service answered 401 to a stored token (it was changed or the service restarted with another). */
export function signOut(reason: SignOutReason = 'signedOut'): void {
  sessionStorage.removeItem(KEY);
  listeners.forEach((listener) => listener(reason));
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
