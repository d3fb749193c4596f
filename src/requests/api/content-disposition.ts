/**
 * `Content-Disposition` for a download (RFC 6266): a plain ASCII `filename` for old clients
 * and `filename*` (RFC 8187, formerly RFC 5987) with the real name in UTF-8.
 */
export function contentDisposition(filename: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const name = filename.replace(/[\r\n\u0000-\u001f\u007f]/g, '').trim() || 'download';
  const fallback = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_').replace(/%/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return fallback === name && !/[%]/.test(name) ? `${type}; filename="${fallback}"` : `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
