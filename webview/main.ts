import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import './styles.css';
import type { CaptureOverview, CaptureState, FindingsPage, FlowFacets, FlowRow, FlowSort, FlowSortColumn, FlowsWhere, PacketRow, TimeFormat } from '../src/protocol/messages';
import { captureFactsElement } from './captureFacts';
import { clear, el } from './dom';
import { describeWhere, FlowFilters } from './flowFilters';
import { FlowDetailView } from './flowDetailView';
import { renderAnalysisOverview, renderFindingsTab, type FindingsActions } from './findingsView';
import { Host } from './host';
import { TabBar } from './tabs';
import { CaptureTimeline } from './timeline';
import { VirtualGrid, type Column } from './virtualGrid';

/** What survives the panel being hidden or VS Code restarting (getState/setState). */
type TabId = 'overview' | 'flows' | 'timeline' | 'findings';

interface SavedState {
  sort: FlowSort;
  filter: string;
  /** The dropdown conditions of the flows table. */
  where: FlowsWhere;
  selectedStream: number;
  flowsScrollTop: number;
  tab: TabId;
}

const ROW_HEIGHT = 22;
const host = new Host();
const saved: SavedState = {
  sort: { column: 'stream', descending: false },
  filter: '',
  where: {},
  selectedStream: -1,
  flowsScrollTop: 0,
  tab: 'overview',
  ...host.getState<SavedState>(),
};
let timeFormat: TimeFormat = 'relative';
let overview: CaptureOverview | null = null;
let captureEpochSeconds = 0;

const app = document.getElementById('app')!;

function save(): void {
  host.setState<SavedState>(saved);
}

// ---------- formatting ----------

const COMPLETENESS: [number, string][] = [
  [1, 'SYN'],
  [2, 'SYN-ACK'],
  [4, 'ACK'],
  [8, 'DATA'],
  [16, 'FIN'],
  [32, 'RST'],
];

function completenessText(c: number): string {
  return COMPLETENESS.filter(([bit]) => c & bit).map(([, name]) => name).join(' ') || '-';
}

function seconds(s: number): string {
  return s.toFixed(6);
}

function time(relativeSeconds: number): string {
  if (timeFormat === 'absolute') {
    const t = captureEpochSeconds + relativeSeconds;
    return new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '');
  }
  return seconds(relativeSeconds);
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

// ---------- flows table ----------

const flowColumns: Column<FlowRow>[] = [
  { key: 'stream', label: 'Stream', width: '5.5em', numeric: true, sortable: true, text: (r) => String(r.stream) },
  { key: 'client', label: 'Client', width: 'minmax(11em, 1fr)', sortable: true, text: (r) => r.client },
  { key: 'server', label: 'Server', width: 'minmax(11em, 1fr)', sortable: true, text: (r) => r.server },
  { key: 'clientState', label: 'Client state', width: '9.5em', sortable: true, text: (r) => r.clientState },
  { key: 'serverState', label: 'Server state', width: '9.5em', sortable: true, text: (r) => r.serverState },
  { key: 'connState', label: 'Conn', width: '5em', sortable: true, text: (r) => r.connState },
  { key: 'history', label: 'History', width: 'minmax(6em, 0.6fr)', sortable: true, text: (r) => r.history || '-' },
  { key: 'packets', label: 'Packets', width: '6em', numeric: true, sortable: true, text: (r) => String(r.packets) },
  { key: 'bytes', label: 'Bytes', width: '7.5em', numeric: true, sortable: true, text: (r) => bytes(r.bytes) },
  { key: 'startSeconds', label: 'Start', width: '9em', numeric: true, sortable: true, text: (r) => time(r.startSeconds) },
  { key: 'durationSeconds', label: 'Duration (s)', width: '8.5em', numeric: true, sortable: true, text: (r) => seconds(r.durationSeconds) },
  { key: 'retransmissions', label: 'Retrans', width: '5.5em', numeric: true, sortable: true, text: (r) => String(r.retransmissions) },
  { key: 'rttMs', label: 'RTT ms', width: '6.5em', numeric: true, sortable: true, text: (r) => (r.rttMs === null ? '-' : r.rttMs.toFixed(3)) },
  { key: 'irttMs', label: 'iRTT ms', width: '6.5em', numeric: true, sortable: true, text: (r) => (r.irttMs === null ? '-' : r.irttMs.toFixed(3)) },
  { key: 'findings', label: 'Findings', width: 'minmax(8em, 1fr)', sortable: true, text: (r) => r.findings.join(', ') },
  { key: 'joinedMidStream', label: 'Mid-stream', width: '6em', sortable: true, text: (r) => (r.joinedMidStream ? 'yes' : '') },
  { key: 'state', label: 'Seen', width: 'minmax(8em, 0.8fr)', text: (r) => completenessText(r.completeness) },
];

const packetColumns: Column<PacketRow>[] = [
  { key: 'frame', label: 'Frame', width: '6em', numeric: true, text: (r) => String(r.frameNumber) },
  { key: 'time', label: 'Time', width: '9em', numeric: true, text: (r) => time(r.timeSeconds) },
  { key: 'dir', label: 'Direction', width: 'minmax(14em, 1.5fr)', text: (r) => `${r.src} → ${r.dst}` },
  { key: 'flags', label: 'Flags', width: '4.5em', text: (r) => r.flags },
  { key: 'seq', label: 'Seq', width: '7em', numeric: true, text: (r) => String(r.seq) },
  { key: 'ack', label: 'Ack', width: '7em', numeric: true, text: (r) => String(r.ack) },
  { key: 'len', label: 'Len', width: '5em', numeric: true, text: (r) => String(r.len) },
  { key: 'win', label: 'Win', width: '6em', numeric: true, text: (r) => String(r.win) },
  { key: 'analysis', label: 'Analysis', width: 'minmax(8em, 1fr)', text: (r) => r.analysis.join(', ') },
];

let detailStream = -1;
let detailTimer: ReturnType<typeof setTimeout> | undefined;

const flows = new VirtualGrid<FlowRow>({
  label: 'TCP flows',
  idPrefix: 'flow',
  columns: flowColumns,
  rowHeight: ROW_HEIGHT,
  // The columns do not fit a narrow panel: the table scrolls sideways (header included) instead of squeezing.
  minWidth: '150em',
  fetch: async (offset, count) => {
    const page = await host.request('flows/get', { offset, count, sort: saved.sort, filter: saved.filter, where: saved.where });
    updateCount(page.total);
    fitRows(flows, page.total);
    return page;
  },
  onSort: (column) => {
    const descending = saved.sort.column === column ? !saved.sort.descending : false;
    saved.sort = { column: column as FlowSortColumn, descending };
    flows.setSort(column, descending);
    save();
    void reloadFlows(true);
  },
  onSelect: (row, _index, how) => {
    if (!row) return;
    saved.selectedStream = row.stream;
    save();
    host.notify('flow/selected', { stream: row.stream });
    timeline.markFlow(row.stream);
    // Holding an arrow key should not fetch every flow's packets on the way.
    clearTimeout(detailTimer);
    detailTimer = setTimeout(() => showDetail(row), how === 'keyboard' ? 120 : 0);
  },
  onActivate: (row) => void host.request('flow/reveal', { stream: row.stream }).catch(showError),
});

const packets = new VirtualGrid<PacketRow>({
  label: 'Packets of the selected flow',
  idPrefix: 'pkt',
  columns: packetColumns,
  rowHeight: ROW_HEIGHT,
  fetch: async (offset, count) => {
    if (detailStream < 0) return { total: 0, rows: [] };
    const page = await host.request('packets/get', { stream: detailStream, offset, count });
    packetNote.textContent = page.complete ? '' : 'This flow has more packets than the packet list limit keeps (setting tcpscope.packetList.limit).';
    fitRows(packets, page.total);
    return page;
  },
  onActivate: (row) => void host.request('flow/reveal', { stream: row.stream, frameNumber: row.frameNumber }).catch(showError),
});

/** A short table is as tall as its rows (up to the CSS height), instead of a screenful of empty grid. */
function fitRows<Row>(grid: VirtualGrid<Row>, rows: number): void {
  // Header, rows, borders and room for a horizontal scrollbar.
  const px = (rows + 1) * ROW_HEIGHT + 14;
  grid.element.style.maxHeight = `${px}px`;
  grid.element.style.minHeight = px < 200 ? '0' : '';
}

const countLabel = el('span', { className: 'count', 'aria-live': 'polite' });
const packetNote = el('p', { className: 'note' });
const detailTitle = el('h2', { id: 'detail-title', textContent: 'No flow selected' });
const detailHint = el('p', { className: 'note', id: 'detail-hint', textContent: 'Select a flow in the table to see its ladder diagram, both endpoints’ states and its packets.' });
const errorLine = el('p', { className: 'error', role: 'alert', hidden: true });

function updateCount(total: number): void {
  const all = overview?.flows ?? total;
  const conditions = describeWhere(saved.where);
  const filtered = saved.filter || conditions;
  countLabel.textContent = filtered ? `${total} of ${all} flows${conditions ? ` (${conditions})` : ''}` : `${all} flows`;
}

function showError(e: unknown): void {
  errorLine.hidden = false;
  errorLine.textContent = e instanceof Error ? e.message : String(e);
}

async function reloadFlows(keepStream: boolean): Promise<void> {
  await flows.reset();
  if (keepStream && saved.selectedStream >= 0) await selectStream(saved.selectedStream, 'api');
}

async function selectStream(stream: number, how: 'api' | 'keyboard'): Promise<boolean> {
  const { index } = await host.request('flows/locate', { stream, sort: saved.sort, filter: saved.filter, where: saved.where });
  if (index < 0) return false;
  await flows.select(index, how);
  return true;
}

function showDetail(row: FlowRow): void {
  detailTitle.textContent = `Stream ${row.stream}: ${row.client} → ${row.server}`;
  detailActions.hidden = false;
  detailHint.hidden = true;
  packets.element.hidden = false;
  if (detailStream === row.stream) return;
  detailStream = row.stream;
  packetNote.textContent = '';
  void packets.reset();
  void flowDetail.show(row.stream);
}

/** Highlights a frame of the detail flow: packets are in frame order, so a binary search over single-row pages. */
async function highlightFrame(frameNumber: number): Promise<void> {
  let lo = 0;
  let hi = packets.rowCount;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const page = await host.request('packets/get', { stream: detailStream, offset: mid, count: 1 });
    const f = page.rows[0]?.frameNumber ?? Infinity;
    if (f < frameNumber) lo = mid + 1;
    else hi = mid;
  }
  if (lo < packets.rowCount) await packets.select(lo, 'api');
}

// ---------- layout ----------

const filter = el('vscode-textfield', { placeholder: 'Filter flows: address, port or stream', 'aria-label': 'Filter flows', id: 'flow-filter' });
let filterTimer: ReturnType<typeof setTimeout> | undefined;
filter.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    saved.filter = (filter as unknown as { value: string }).value;
    save();
    void reloadFlows(true);
  }, 150);
});

function button(label: string, onClick: () => void, secondary = true): HTMLElement {
  const b = el('vscode-button', { textContent: label, ...(secondary ? { secondary: '' } : {}) });
  b.addEventListener('click', onClick);
  return b;
}

const detailActions = el(
  'div',
  { className: 'actions', hidden: true },
  button('Show in packet list', () => detailStream >= 0 && void host.request('flow/reveal', { stream: detailStream }).catch(showError)),
  button('Copy Wireshark filter', () => detailStream >= 0 && void host.request('flow/copyFilter', { stream: detailStream }).catch(showError)),
);

const flowFilters = new FlowFilters((where) => {
  saved.where = where;
  save();
  void reloadFlows(true);
});

const overviewSection = el('section', { className: 'overview', 'aria-labelledby': 'overview-title' });
const analysisSection = el('section', { className: 'analysis', 'aria-label': 'Connections and findings' });
const findingsPanel = el('section', { className: 'findings', id: 'findings-panel', 'aria-labelledby': 'findings-title' });
const flowsSection = el(
  'section',
  { className: 'flows', 'aria-labelledby': 'flows-title' },
  el(
    'div',
    { className: 'toolbar' },
    el('h2', { id: 'flows-title', textContent: 'Flows' }),
    countLabel,
    filter,
    button('Export CSV', () => void host.request('flows/export', { format: 'csv' }).catch(showError)),
    button('Export JSON', () => void host.request('flows/export', { format: 'json' }).catch(showError)),
  ),
  flowFilters.element,
  flows.element,
);
const flowDetail = new FlowDetailView(host.request.bind(host), showError);
const detailSection = el(
  'section',
  { className: 'detail', 'aria-labelledby': 'detail-title' },
  el('div', { className: 'toolbar' }, detailTitle, detailActions),
  detailHint,
  // The ladder diagram and the endpoints' state timelines of the selected flow go here (webview/ladder.ts).
  el('div', { id: 'flow-detail-extra' }, flowDetail.element),
  packetNote,
  packets.element,
);
// Until a flow is picked the packets grid would be an empty frame: the hint stands in for it.
packets.element.hidden = true;

// ---------- tabs ----------

const overviewPanel = el('div', { id: 'overview-panel' }, overviewSection, analysisSection);
const flowsPanel = el('div', { id: 'flows-panel' }, flowsSection, detailSection);
/** Filled by the capture timeline (webview/timeline.ts). */
const timelinePanel = el('section', { id: 'timeline-panel', 'aria-label': 'Capture timeline' });
const timeline = new CaptureTimeline({ request: host.request.bind(host), onSelectFlow: (stream) => void showFlow(stream).catch(showError), onError: showError });
timelinePanel.append(timeline.element);

const tabs = new TabBar<TabId>(
  'Capture views',
  [
    { id: 'overview', label: 'Overview', panel: overviewPanel },
    { id: 'flows', label: 'Flows', panel: flowsPanel },
    { id: 'timeline', label: 'Timeline', panel: timelinePanel },
    { id: 'findings', label: 'Findings', panel: findingsPanel },
  ],
  saved.tab,
  (id) => {
    saved.tab = id;
    save();
    // A hidden grid cannot scroll: bring the selection (or the saved position) back into view once shown.
    if (id === 'flows') requestAnimationFrame(() => (flows.selectedIndex >= 0 ? void flows.select(flows.selectedIndex, 'api') : (flows.scrollTop = saved.flowsScrollTop)));
  },
);

/**
 * Shows a flow wherever it was picked (findings, timeline, ladder): the Flows tab with the flow selected. When the
 * current filters hide it they are cleared, so the flow is always found.
 */
async function showFlow(stream: number): Promise<void> {
  tabs.select('flows');
  if (await selectStream(stream, 'api')) return;
  saved.filter = '';
  saved.where = {};
  (filter as unknown as { value: string }).value = '';
  flowFilters.set({});
  save();
  await flows.reset();
  await selectStream(stream, 'api');
}

/** Shows the Flows tab with exactly the flows matching `where` (the text filter is cleared). */
function filterFlows(where: FlowsWhere): void {
  saved.where = where;
  saved.filter = '';
  (filter as unknown as { value: string }).value = '';
  flowFilters.set(where);
  save();
  tabs.select('flows');
  void reloadFlows(true);
}

const findingsActions: FindingsActions = {
  filterFlows,
  selectFlow: (stream) => void showFlow(stream).catch(showError),
  revealFrame: (stream, frameNumber) => void host.request('flow/reveal', { stream, frameNumber }).catch(showError),
  showFinding: (index) => {
    tabs.select('findings');
    const card = document.getElementById(`finding-${index}`);
    card?.scrollIntoView({ block: 'start' });
    card?.focus({ preventScroll: true });
  },
};

let facets: FlowFacets | null = null;
let findings: FindingsPage | null = null;

function renderAnalysis(): void {
  renderAnalysisOverview(analysisSection, facets, findings, findingsActions);
  renderFindingsTab(findingsPanel, findings, findingsActions);
  flowFilters.setFacets(facets);
}

/** Filter values and findings are small: fetched once per analysis. */
async function loadAnalysis(): Promise<void> {
  facets = null;
  findings = null;
  renderAnalysis();
  const [f, g] = await Promise.all([host.request('flows/facets', {}), host.request('findings/get', {})]);
  facets = f;
  findings = g;
  renderAnalysis();
}

function renderOverview(o: CaptureOverview): void {
  clear(overviewSection);
  const facts: [string, string][] = [
    ['File', `${o.fileName} (${bytes(o.fileBytes)})`],
    ['Format', `${o.format} ${o.version}, ${o.byteOrder}-endian${o.sections > 1 ? `, ${o.sections} sections` : ''}, ${o.interfaces} interface(s)`],
    ['Link types', o.linkTypes.map((l) => `${l.name} (${l.linkType}): ${l.packets} packets`).join('; ') || '-'],
    ['Packets', `${o.packets} (${o.tcpPackets} TCP)`],
    ['TCP flows', String(o.flows)],
    ['Time span', o.packets ? `${new Date(o.firstEpochSeconds * 1000).toISOString()} → ${new Date(o.lastEpochSeconds * 1000).toISOString()} (${seconds(o.durationSeconds)} s)` : '-'],
  ];
  const p = o.problems;
  if (p.malformed || p.truncated || p.unsupportedLink) {
    facts.push(['Packet problems', `${p.malformed} malformed, ${p.truncated} cut by snaplen, ${p.unsupportedLink} of unsupported link type`]);
  }
  if (o.ipFragments) facts.push(['IP fragments', `${o.ipFragments} (not reassembled)`]);
  if (o.packetWindow.listed < o.packetWindow.total) {
    facts.push(['Packet list', `first ${o.packetWindow.listed} of ${o.packetWindow.total} TCP packets (limit ${o.packetWindow.limit})`]);
  }
  const dl = el('dl');
  for (const [k, v] of facts) dl.append(el('dt', { textContent: k }), el('dd', { textContent: v }));
  overviewSection.append(el('h2', { id: 'overview-title', textContent: 'Overview' }), dl);
  const captureFacts = captureFactsElement(o.captureFacts);
  if (captureFacts) overviewSection.append(captureFacts);
  if (o.errors.length) {
    const list = el('ul', { className: 'errors', 'aria-label': 'Capture errors' });
    for (const e of o.errors) list.append(el('li', { textContent: `${e.message} (byte ${e.offset}${e.fatal ? ', reading stopped here' : ''})` }));
    overviewSection.append(el('h3', { textContent: 'Capture errors' }), list);
  }
}

let shown: CaptureState['state'] | null = null;

function renderState(s: CaptureState): void {
  if (s.state === 'loading') {
    if (shown !== 'loading') {
      clear(app);
      app.append(
        el('h1', { textContent: s.fileName }),
        el('p', { id: 'progress-label', textContent: 'Analysing…' }),
        el('vscode-progress-bar', { id: 'progress', 'aria-labelledby': 'progress-label' }),
        el('div', { className: 'actions' }, button('Cancel', () => void host.request('capture/cancel', {}).catch(showError))),
      );
      shown = 'loading';
    }
    const bar = document.getElementById('progress') as (HTMLElement & { value?: number; max?: number; indeterminate?: boolean }) | null;
    if (bar && s.totalBytes) {
      bar.max = 100;
      bar.value = Math.floor((100 * s.bytesRead) / s.totalBytes);
      document.getElementById('progress-label')!.textContent = `Analysing… ${bytes(s.bytesRead)} of ${bytes(s.totalBytes)}`;
    }
    return;
  }
  if (s.state === 'failed') {
    clear(app);
    shown = 'failed';
    const actions = el('div', { className: 'actions' });
    if (s.unusable) actions.append(button('Reopen with…', () => void host.request('capture/reopenWith', {}).catch(showError), false));
    actions.append(button('Analyse again', () => void host.request('capture/reanalyze', {}).catch(showError)));
    app.append(
      el('h1', { textContent: s.fileName }),
      el('p', { className: 'error', role: 'alert', id: 'failure', textContent: s.unusable ? `This file cannot be opened as a capture: ${s.reason}` : `The analysis did not finish: ${s.reason}` }),
      actions,
      errorLine,
    );
    return;
  }
  overview = s.overview;
  captureEpochSeconds = s.overview.firstEpochSeconds;
  renderOverview(s.overview);
  if (shown !== 'ready') {
    clear(app);
    app.append(el('h1', { textContent: s.overview.fileName }), errorLine, tabs.element, overviewPanel, flowsPanel, timelinePanel, findingsPanel);
    shown = 'ready';
  }
  detailStream = -1;
  flowDetail.reset();
  timeline.reset();
  flows.setSort(saved.sort.column, saved.sort.descending);
  (filter as unknown as { value: string }).value = saved.filter;
  flowFilters.set(saved.where);
  void loadAnalysis().catch(showError);
  void flows.reset().then(async () => {
    flows.scrollTop = saved.flowsScrollTop;
    if (saved.selectedStream >= 0) await selectStream(saved.selectedStream, 'api');
  });
}

let scrollSave: ReturnType<typeof setTimeout> | undefined;
flows.element.querySelector('.vg-viewport')!.addEventListener(
  'scroll',
  () => {
    clearTimeout(scrollSave);
    scrollSave = setTimeout(() => {
      saved.flowsScrollTop = flows.scrollTop;
      save();
    }, 200);
  },
  { passive: true },
);

host.on('capture/changed', renderState);
host.on('settings/changed', (p) => {
  timeFormat = p.timeFormat;
  if (shown === 'ready') {
    void flows.reset(true);
    void packets.reset(true);
  }
});
host.on('selection/changed', async ({ stream, frameNumber, show }) => {
  if (shown !== 'ready') return;
  if (stream !== detailStream || saved.selectedStream !== stream) {
    const found = await selectStream(stream, 'api');
    if (!found) return;
    clearTimeout(detailTimer);
    const row = flows.row(flows.selectedIndex);
    if (row) showDetail(row);
  }
  // A panel on screen turns to the flow. Nothing here takes the focus: the user is moving through the packet list.
  if (show) tabs.select('flows');
  if (frameNumber) {
    flowDetail.highlightFrame(stream, frameNumber);
    await packets.reset(true);
    await highlightFrame(frameNumber);
  }
});

// Expose the grids to the browser tests (read-only facts, no capture data beyond what the page shows).
(window as unknown as { tcpscope: unknown }).tcpscope = { flows, packets, tabs, flowDetail, timeline };

host.notify('ready', {});
