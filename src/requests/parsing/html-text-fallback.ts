import { convert } from 'html-to-text';
import type { MailLimits } from './mail-limits';

/**
 * Plain text for a mail that has only HTML. mailparser converts a lone text/html body itself,
 * but not one inside multipart/related (HTML with inline images and no text alternative), so
 * such mails would have no text to search, preview or quote. The converter is the one
 * mailparser uses (html-to-text), under the same limits; what it cannot convert stays ''
 * with a warning.
 */
export function htmlToPlainText(
  html: string,
  limits: Pick<MailLimits, 'maxHtmlToTextChars' | 'maxHtmlDepth'>,
  warnings: string[],
): string {
  if (html.length > limits.maxHtmlToTextChars) {
    warnings.push(`the HTML body was not converted to text: it is longer than ${limits.maxHtmlToTextChars} characters`);
    return '';
  }
  try {
    return convert(html, { limits: { maxDepth: limits.maxHtmlDepth, maxInputLength: limits.maxHtmlToTextChars } });
  } catch (error) {
    warnings.push(`the HTML body was not converted to text: ${error instanceof Error ? error.message : String(error)}`);
    return '';
  }
}
