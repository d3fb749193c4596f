/**
 * The part of html-to-text (a mailparser dependency, no bundled types) that deskmail uses:
 * mailparser's own HTML-to-text conversion, for HTML it leaves unconverted.
 */
declare module 'html-to-text' {
  export interface HtmlToTextOptions {
    wordwrap?: number | false | null;
    limits?: { maxDepth?: number; maxChildNodes?: number; maxInputLength?: number; ellipsis?: string };
  }
  export function convert(html: string, options?: HtmlToTextOptions): string;
}
