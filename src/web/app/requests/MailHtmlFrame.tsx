import { Button, Group, Text } from '@mantine/core';
import { useMemo, useState } from 'react';

/**
 * A mail's HTML (already sanitized by the service) in a sandboxed iframe: srcdoc, no
 * allow-scripts and no allow-same-origin, so it can neither run code nor reach the admin's
 * page or token; its own CSP allows no scripts and no remote loads. Links open in a new tab;
 * inline (cid:) images are left out, remote images were already removed by the service.
 */
export function MailHtmlFrame({ html, title }: { html: string; title: string }) {
  const [expanded, setExpanded] = useState(false);
  const srcdoc = useMemo(() => frameDocument(html), [html]);
  return (
    <div>
      <iframe className="mail-frame" data-expanded={expanded} title={title} sandbox="allow-popups allow-popups-to-escape-sandbox" srcDoc={srcdoc} referrerPolicy="no-referrer" />
      <Group justify="space-between" mt={4}>
        <Text size="xs" c="dimmed">
          Shown without scripts or remote content.
        </Text>
        <Button variant="subtle" size="compact-xs" onClick={() => setExpanded((v) => !v)}>
          {expanded ? 'Smaller' : 'Taller'}
        </Button>
      </Group>
    </div>
  );
}

const FRAME_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:";

function frameDocument(html: string): string {
  // DOMParser builds an inert document: nothing in it runs or loads while we edit it.
  const doc = new DOMParser().parseFromString(html, 'text/html');
  doc.querySelectorAll('script, iframe, object, embed, link, meta, base').forEach((node) => node.remove());
  // Remote images (already moved aside by the service) and inline cid: parts are not loaded:
  // show their alt text in their place rather than a broken image.
  doc.querySelectorAll('img').forEach((img) => {
    if ((img.getAttribute('src') ?? '').startsWith('data:')) return;
    const note = doc.createElement('span');
    note.textContent = `[image${img.getAttribute('alt') ? `: ${img.getAttribute('alt')}` : ''}]`;
    note.setAttribute('style', 'color:#868e96;font-size:12px');
    img.replaceWith(note);
  });
  doc.querySelectorAll('a[href]').forEach((link) => {
    link.setAttribute('target', '_blank');
    link.setAttribute('rel', 'noopener noreferrer');
  });
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${FRAME_CSP}"><style>body{font:14px/1.5 system-ui,sans-serif;margin:12px;color:#1f2933;overflow-wrap:anywhere}img{max-width:100%;height:auto}</style></head><body>${doc.body.innerHTML}</body></html>`;
}
