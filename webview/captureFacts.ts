import type { CaptureFactsInfo } from '../src/protocol/messages';
import { el } from './dom';

/**
 * The overview's "what the file says about itself" part: interfaces, the capturing host, comments and name
 * resolution from pcapng blocks. All of it is capture text (hostile by assumption): it only ever goes through el()'s
 * textContent, never into markup, URLs or styles, and lists are the host's bounded prefixes with their totals.
 */
export function captureFactsElement(info: CaptureFactsInfo | undefined): HTMLElement | null {
  if (!info) return null;
  const parts: HTMLElement[] = [];

  const named = info.interfaces.some((i) => i.name || i.description || i.comments.length);
  if (named || info.interfacesTotal > 1) {
    const list = el('ul', { className: 'capture-facts-interfaces', 'aria-label': 'Interfaces' });
    for (const i of info.interfaces) {
      const label = [i.name, i.description].filter((x) => x).join(' — ') || '(no name)';
      const item = el('li', { textContent: `#${i.index}${info.sections.length > 1 ? ` (section ${i.section})` : ''} ${label}: ${i.linkTypeName} (${i.linkType})` });
      for (const c of i.comments) item.append(el('div', { className: 'comment', textContent: c }));
      list.append(item);
    }
    parts.push(el('h3', { textContent: `Interfaces (${info.interfacesTotal})` }), list, more(info.interfacesTotal - info.interfaces.length, 'interfaces'));
  }

  if (info.sections.length) {
    const dl = el('dl', { className: 'capture-facts-host' });
    for (const s of info.sections) {
      const prefix = info.sections.length > 1 || s.index > 0 ? `Section ${s.index}: ` : '';
      if (s.hardware) dl.append(el('dt', { textContent: `${prefix}Hardware` }), el('dd', { textContent: s.hardware }));
      if (s.os) dl.append(el('dt', { textContent: `${prefix}OS` }), el('dd', { textContent: s.os }));
      if (s.application) dl.append(el('dt', { textContent: `${prefix}Application` }), el('dd', { textContent: s.application }));
    }
    parts.push(el('h3', { textContent: 'Captured on' }), dl);
  }

  if (info.commentsTotal) {
    const list = el('ul', { className: 'capture-facts-comments', 'aria-label': 'Capture comments' });
    for (const c of info.comments) list.append(el('li', {}, el('span', { className: 'where', textContent: `${c.where}: ` }), el('span', { className: 'comment', textContent: c.text })));
    parts.push(
      el('h3', { textContent: `Comments (${info.commentsTotal}${info.packetCommentsTotal ? `, ${info.packetCommentsTotal} on packets` : ''})` }),
      list,
      more(info.commentsTotal - info.comments.length, 'comments (packet comments are also at the end of their lines in the packet list)'),
    );
  }

  if (info.namesTotal) {
    const list = el('ul', { className: 'capture-facts-names', 'aria-label': 'Name resolution' });
    for (const n of info.names) list.append(el('li', { textContent: `${n.address} → ${n.names.join(', ') || '(no name)'}` }));
    parts.push(el('h3', { textContent: `Name resolution (${info.namesTotal})` }), list, more(info.namesTotal - info.names.length, 'entries'));
  }

  if (!parts.length) return null;
  return el('div', { className: 'capture-facts' }, ...parts);
}

function more(n: number, what: string): HTMLElement {
  return el('p', { className: 'note', textContent: n > 0 ? `… and ${n} more ${what}` : '', hidden: n <= 0 });
}
