import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { currentToken, onSessionChange, type SignOutReason } from './auth/session';
import { SignInPage } from './auth/SignInPage';
import { AppLayout } from './layout/AppLayout';
import { MailboxesPage } from './mailboxes/MailboxesPage';
import { MailboxPage } from './mailboxes/MailboxPage';
import { NewMailboxPage } from './mailboxes/NewMailboxPage';
import { OAuthAppFormPage } from './oauth-apps/OAuthAppFormPage';
import { OAuthAppsPage } from './oauth-apps/OAuthAppsPage';
import { OutboxPage } from './outbox/OutboxPage';
import { QuarantinePage } from './quarantine/QuarantinePage';
import { RequestPage } from './requests/RequestPage';
import { RequestsPage } from './requests/RequestsPage';
import { NotFoundPage } from './layout/NotFoundPage';

export function App() {
  const [token, setToken] = useState(currentToken);
  const [reason, setReason] = useState<SignOutReason | null>(null);
  const queryClient = useQueryClient();
  useEffect(
    () =>
      onSessionChange((why) => {
        // Nothing fetched with one token is shown to the next sign-in.
        if (why) queryClient.clear();
        setReason(why);
        setToken(currentToken());
      }),
    [queryClient],
  );

  if (!token) return <SignInPage reason={reason} />;
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<Navigate to="/mailboxes" replace />} />
        <Route path="mailboxes" element={<MailboxesPage />} />
        <Route path="mailboxes/new" element={<NewMailboxPage />} />
        <Route path="mailboxes/:id" element={<MailboxPage />} />
        <Route path="oauth-apps" element={<OAuthAppsPage />} />
        <Route path="oauth-apps/new" element={<OAuthAppFormPage />} />
        <Route path="oauth-apps/:id" element={<OAuthAppFormPage />} />
        <Route path="requests" element={<RequestsPage />} />
        <Route path="requests/:id" element={<RequestPage />} />
        <Route path="quarantine" element={<QuarantinePage />} />
        <Route path="outbox" element={<OutboxPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
