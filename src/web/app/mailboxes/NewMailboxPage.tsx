import { useNavigate } from 'react-router';
import { PageHeader } from '../components/PageHeader';
import { MailboxForm } from './MailboxForm';

export function NewMailboxPage() {
  const navigate = useNavigate();
  return (
    <>
      <PageHeader
        title="Add a mailbox"
        description="Incoming: where mail becomes requests. Outgoing: where replies and notifications leave. After saving, authorize OAuth2 sides and fetch a sample mail to prove the settings."
      />
      <MailboxForm onSaved={(mailbox) => navigate(`/mailboxes/${mailbox.id}`)} onCancel={() => navigate('/mailboxes')} />
    </>
  );
}
