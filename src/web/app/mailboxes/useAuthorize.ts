import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from '../api/client';
import { api } from '../api/endpoints';
import { useRefreshMailbox } from '../api/hooks';
import type { Side } from '../api/types';

/** What /oauth/callback posts to window.opener (api.md). */
interface OAuthMessage {
  type: 'deskmail:oauth';
  ok: boolean;
  mailbox: string | null;
  side?: Side;
  error?: string;
}

export interface AuthorizeState {
  /** The side whose consent window is open. */
  pending: Side | null;
  result: { ok: boolean; side: Side | null; message: string } | null;
  start: (side: Side) => void;
}

const isOAuthMessage = (data: unknown): data is OAuthMessage =>
  typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'deskmail:oauth';

/**
 * "Authorize": the provider's consent opens in a popup; when /oauth/callback posts its message
 * the mailbox is refetched, so its state badge turns to connecting/connected without a reload.
 * The popup is opened synchronously in the click (popup blockers), then sent to the authorize
 * URL. Should the message never arrive (a provider page that cuts window.opener), the mailbox
 * is polled while the popup is open and once more when it closes.
 */
export function useAuthorize(mailboxId: string): AuthorizeState {
  const refresh = useRefreshMailbox();
  const [pending, setPending] = useState<Side | null>(null);
  const [result, setResult] = useState<AuthorizeState['result']>(null);
  const popup = useRef<Window | null>(null);

  useEffect(() => {
    function onMessage(event: MessageEvent) {
      // Only our own callback page (same origin) may report an outcome.
      if (event.origin !== window.location.origin || !isOAuthMessage(event.data)) return;
      if (event.data.mailbox && event.data.mailbox !== mailboxId) return;
      const side = event.data.side ?? null;
      setPending(null);
      setResult(
        event.data.ok
          ? { ok: true, side, message: 'Authorized. deskmail is connecting to the mail server now.' }
          : { ok: false, side, message: event.data.error ?? 'The authorization did not complete.' },
      );
      popup.current?.close();
      popup.current = null;
      void refresh(mailboxId);
    }
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [mailboxId, refresh]);

  // While the consent window is open: poll the mailbox, and notice when the window is closed.
  useEffect(() => {
    if (!pending) return;
    const timer = window.setInterval(() => {
      void refresh(mailboxId);
      if (popup.current?.closed) {
        popup.current = null;
        setPending(null);
      }
    }, 2_000);
    return () => window.clearInterval(timer);
  }, [pending, mailboxId, refresh]);

  const start = useCallback(
    (side: Side) => {
      setResult(null);
      const width = 520;
      const height = 680;
      const left = Math.max(0, window.screenX + (window.outerWidth - width) / 2);
      const top = Math.max(0, window.screenY + (window.outerHeight - height) / 2);
      const win = window.open('about:blank', 'deskmail-oauth', `popup,width=${width},height=${height},left=${left},top=${top}`);
      if (!win) {
        setResult({ ok: false, side, message: 'The browser blocked the consent window. Allow pop-ups for this site and press Authorize again.' });
        return;
      }
      popup.current = win;
      setPending(side);
      api.mailboxes.authorize(mailboxId, side).then(
        ({ url }) => {
          win.location.href = url;
        },
        (error: unknown) => {
          win.close();
          popup.current = null;
          setPending(null);
          setResult({ ok: false, side, message: errorText(error) });
        },
      );
    },
    [mailboxId],
  );

  return { pending, result, start };
}
