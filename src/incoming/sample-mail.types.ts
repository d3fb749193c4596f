/**
 * "Fetch a sample mail" as the API answers it (api.md). No runtime dependencies: the admin
 * UI imports the types too.
 */

/** api.md: the sample's text is cut to this many characters. */
export const SAMPLE_TEXT_CHARS = 2_000;

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
