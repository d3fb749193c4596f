/**
 * "Fetch a sample mail" as the API answers it (api.md). Types only: the admin UI imports
 * them too.
 */

/** The sample as the admin sees it. */
export interface SampleMessage {
  subject: string | null;
  from: string | null;
  to: string | null;
  date: string | null;
  /** Without angle brackets, as everywhere else in the API. */
  messageId: string | null;
  size: number;
  /** At most SAMPLE_TEXT_CHARS characters. */
  text: string;
  attachments: Array<{ filename: string | null; contentType: string; size: number }>;
}
