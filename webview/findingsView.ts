import type { FindingInfo, FindingsPage, FlowFacets, FlowsWhere, ValueCount } from '../src/protocol/messages';
import { clear, el } from './dom';

/**
 * The analysis half of the Overview (flows by end state and conn_state, findings ranked by severity) and the
 * Findings tab (every finding with its evidence). Everything read from the capture (endpoints, messages, metric
 * values) is set as text through el().
 */
export interface FindingsActions {
  /** Show the Flows tab with only the flows matching these conditions. */
  filterFlows(where: FlowsWhere): void;
  /** Show the Flows tab with this flow selected. */
  selectFlow(stream: number): void;
  /** Reveal a frame in the packet list editor (stream: the finding's first, for flows past the list window). */
  revealFrame(stream: number, frameNumber: number): void;
  /** Show the Findings tab at this finding. */
  showFinding(index: number): void;
}

const SEVERITY_LABEL: Record<FindingInfo['severity'], string> = { error: 'Error', warning: 'Warning', info: 'Info' };

function severityBadge(s: FindingInfo['severity']): HTMLElement {
  return el('span', { className: `severity ${s}`, textContent: SEVERITY_LABEL[s] });
}

function linkButton(text: string, label: string, onClick: () => void): HTMLElement {
  const b = el('button', { type: 'button', className: 'link', textContent: text, 'aria-label': label });
  b.addEventListener('click', onClick);
  return b;
}

function seconds(x: number): string {
  return `${x.toFixed(3)} s`;
}

// ---------- overview ----------

/** Counts by end state and conn_state (each count filters the flows table) and the ranked findings. */
export function renderAnalysisOverview(target: HTMLElement, facets: FlowFacets | null, findings: FindingsPage | null, actions: FindingsActions): void {
  clear(target);
  if (facets) {
    target.append(el('h3', { id: 'outcomes-title', textContent: 'Connections by how they ended' }));
    const groups = el('div', { className: 'outcomes', 'aria-labelledby': 'outcomes-title' });
    const group = (title: string, key: keyof FlowsWhere, values: ValueCount[]) => {
      const list = el('ul', { className: 'counts', 'aria-label': title });
      for (const v of values) {
        const b = linkButton(v.value, `Show the ${v.count} flows with ${title.toLowerCase()} ${v.value}`, () => actions.filterFlows({ [key]: v.value }));
        b.dataset['filter'] = key;
        b.dataset['value'] = v.value;
        list.append(el('li', {}, b, el('span', { className: 'n', textContent: String(v.count) })));
      }
      groups.append(el('div', { className: 'outcome-group' }, el('h4', { textContent: title }), list));
    };
    group('Client state', 'clientState', facets.clientState);
    group('Server state', 'serverState', facets.serverState);
    group('conn_state', 'connState', facets.connState);
    target.append(groups);
  }
  target.append(el('h3', { id: 'overview-findings-title', textContent: 'Findings' }));
  if (!findings) {
    target.append(el('p', { className: 'note', textContent: 'Loading findings…' }));
    return;
  }
  if (findings.total === 0) {
    target.append(el('p', { className: 'note', id: 'no-findings', textContent: 'No findings: nothing in this capture crossed a diagnostic threshold.' }));
    return;
  }
  const list = el('ol', { className: 'ranked-findings', 'aria-labelledby': 'overview-findings-title' });
  findings.findings.forEach((f, i) => {
    const code = linkButton(f.code, `Show finding ${f.code} in the Findings tab`, () => actions.showFinding(i));
    list.append(
      el(
        'li',
        { className: `ranked ${f.severity}` },
        el('div', { className: 'finding-head' }, severityBadge(f.severity), code, el('span', { className: 'message', textContent: f.message })),
        el('p', { className: 'explanation', textContent: f.explanation }),
      ),
    );
  });
  target.append(list);
  if (findings.total > findings.findings.length) target.append(el('p', { className: 'note', textContent: `The first ${findings.findings.length} of ${findings.total} findings are shown.` }));
}

// ---------- findings tab ----------

export function renderFindingsTab(target: HTMLElement, findings: FindingsPage | null, actions: FindingsActions): void {
  clear(target);
  target.append(el('h2', { id: 'findings-title', textContent: 'Findings' }));
  if (!findings) {
    target.append(el('p', { className: 'note', textContent: 'Loading findings…' }));
    return;
  }
  if (findings.total === 0) {
    target.append(el('p', { className: 'note', textContent: 'No findings: nothing in this capture crossed a diagnostic threshold (settings tcpscope.diagnostics.*).' }));
    return;
  }
  const shown = findings.total > findings.findings.length ? `the first ${findings.findings.length} of ${findings.total}` : String(findings.total);
  target.append(el('p', { className: 'note', textContent: `${shown} findings, most severe first.` }));
  findings.findings.forEach((f, i) => target.append(findingCard(f, i, actions)));
}

function findingCard(f: FindingInfo, index: number, actions: FindingsActions): HTMLElement {
  const titleId = `finding-${index}-title`;
  const card = el('article', { className: `finding ${f.severity}`, id: `finding-${index}`, 'aria-labelledby': titleId, tabIndex: -1 });
  card.dataset['code'] = f.code;
  card.append(
    el('h3', { id: titleId, className: 'finding-head' }, severityBadge(f.severity), el('code', { textContent: f.code }), el('span', { className: 'message', textContent: f.message })),
    el('p', { className: 'explanation', textContent: f.explanation }),
  );
  const facts = el('dl', { className: 'finding-facts' });
  const fact = (k: string, v: Node | string) => facts.append(el('dt', { textContent: k }), el('dd', {}, v));
  fact('Category', f.category);
  if (f.endpoint !== undefined) {
    const ep = f.endpoint;
    fact('Endpoint', el('span', {}, el('span', { className: 'endpoint', textContent: ep }), ' ', linkButton('show its flows', `Show the flows of ${ep}`, () => actions.filterFlows({ endpoint: ep }))));
  }
  if (f.window) fact('Window', `${seconds(f.window.start)} → ${seconds(f.window.end)} (${seconds(f.window.end - f.window.start)})`);
  const metrics = Object.entries(f.metrics);
  if (metrics.length) {
    const ul = el('ul', { className: 'metrics' });
    for (const [k, v] of metrics) ul.append(el('li', {}, el('span', { className: 'metric-name', textContent: k }), ': ', el('span', { textContent: String(v) })));
    fact('Metrics', ul);
  }
  if (f.streams.length) {
    const ul = el('ul', { className: 'evidence flows', 'aria-label': `Flows of ${f.code}` });
    for (const s of f.streams) ul.append(el('li', {}, linkButton(`stream ${s}`, `Select flow ${s}`, () => actions.selectFlow(s))));
    const all = linkButton('show all in Flows', `Show the flows of finding ${f.code}`, () => actions.filterFlows({ finding: f.code }));
    fact('Flows', el('div', {}, ul, all));
  }
  if (f.frames.length) {
    const ul = el('ul', { className: 'evidence frames', 'aria-label': `Frames of ${f.code}` });
    for (const fr of f.frames) ul.append(el('li', {}, linkButton(`frame ${fr}`, `Reveal frame ${fr} in the packet list`, () => actions.revealFrame(f.streams[0] ?? -1, fr))));
    fact('Frames', ul);
  }
  card.append(facts);
  return card;
}
