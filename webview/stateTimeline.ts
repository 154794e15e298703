import type { EndpointStateTimeline, FlowDetail } from '../src/protocol/messages';
import { el } from './dom';
import { durationText, svg } from './svg';

/**
 * Both endpoints' TCP states over the flow's life (EndpointStateTracker, docs/tcp-states.md): one horizontal band
 * per endpoint, a segment per state with the time spent in it, the final state, and a table with the frames that
 * caused each change. The time axis is shared by both bands but stretched between transitions, so a state that
 * lasted microseconds (SYN_SENT on a LAN) stays visible next to a TIME_WAIT of minutes; durations are exact.
 */

interface Segment {
  state: string;
  start: number;
  end: number;
  frame: number | null;
}

const W = 520;
const LABEL_W = 96;
const BAR_X = LABEL_W;
const BAR_W = W - LABEL_W - 8;
const BAND_H = 24;
const BAND_GAP = 20;
const TOP = 6;
const MIN_INTERVAL_PX = 34;

export function stateClass(state: string): string {
  switch (state) {
    case 'LISTEN':
    case 'SYN_SENT':
    case 'SYN_RECEIVED':
      return 'st-handshake';
    case 'ESTABLISHED':
      return 'st-established';
    case 'FIN_WAIT_1':
    case 'FIN_WAIT_2':
    case 'CLOSING':
      return 'st-closing';
    case 'CLOSE_WAIT':
    case 'LAST_ACK':
      return 'st-passive';
    case 'TIME_WAIT':
      return 'st-timewait';
    default:
      return 'st-closed';
  }
}

export function segmentsOf(e: EndpointStateTimeline, end: number): Segment[] {
  const out: Segment[] = [{ state: e.initial, start: 0, end, frame: null }];
  for (const t of e.transitions) {
    out.at(-1)!.end = t.timeSeconds;
    out.push({ state: t.to, start: t.timeSeconds, end, frame: t.frameNumber });
  }
  return out;
}

/** Piecewise-linear time → x over every transition time of both endpoints, each interval at least MIN_INTERVAL_PX wide. */
function axis(times: number[], end: number): (t: number) => number {
  const points = [...new Set([0, end, ...times.filter((t) => t >= 0 && t <= end)])].sort((a, b) => a - b);
  const n = points.length - 1;
  if (n <= 0) return () => BAR_X;
  const total = end - points[0]!;
  const spare = Math.max(0, BAR_W - n * MIN_INTERVAL_PX);
  const min = Math.min(MIN_INTERVAL_PX, BAR_W / n);
  const xs = [BAR_X];
  for (let i = 0; i < n; i++) {
    const dt = points[i + 1]! - points[i]!;
    xs.push(xs[i]! + min + (total > 0 ? (spare * dt) / total : spare / n));
  }
  return (t) => {
    if (t <= points[0]!) return xs[0]!;
    for (let i = 0; i < n; i++) {
      const a = points[i]!;
      const b = points[i + 1]!;
      if (t <= b) return xs[i]! + (b > a ? ((t - a) / (b - a)) * (xs[i + 1]! - xs[i]!) : 0);
    }
    return xs[n]!;
  };
}

export function stateTimelines(d: FlowDetail): HTMLElement {
  const end = Math.max(d.captureEndSeconds, 0);
  const [client, server] = d.endpoints;
  const times = [...client.transitions, ...server.transitions].map((t) => t.timeSeconds);
  const x = axis(times, end);
  const height = TOP + 2 * BAND_H + BAND_GAP + 30;
  const root = svg('svg', {
    class: 'state-bands',
    viewBox: `0 0 ${W} ${height}`,
    role: 'img',
    'aria-label': d.endpoints
      .map(
        (e) =>
          `${e.role} ${e.initial}${e.transitions.map((t) => ` to ${t.to} at frame ${t.frameNumber}`).join('')}, final ${e.final}; time in state: ` +
          Object.entries(e.msInState)
            .map(([state, ms]) => `${state} ${durationText(ms / 1000)}`)
            .join(', '),
      )
      .join('. '),
  });
  d.endpoints.forEach((e, row) => {
    const y = TOP + row * (BAND_H + BAND_GAP);
    root.append(
      svg('text', { x: 0, y: y + 10, class: 'state-band-label' }, e.role === 'client' ? 'Client' : 'Server'),
      svg('text', { x: 0, y: y + 23, class: 'state-band-sub' }, `final ${e.final}`),
    );
    for (const s of segmentsOf(e, end)) {
      const x0 = x(s.start);
      const x1 = x(s.end);
      const zero = x1 - x0 < 2;
      const g = svg('g', { class: 'state-seg-group', 'data-state': s.state });
      g.append(
        svg('rect', { class: `state-seg ${stateClass(s.state)}${zero ? ' zero' : ''}`, x: zero ? x0 - 1 : x0, y, width: zero ? 3 : x1 - x0, height: BAND_H }),
        svg('title', {}, `${e.role} ${s.state}: ${durationText(s.end - s.start)}${s.frame !== null ? ` from frame ${s.frame}` : ' from the flow start'}`),
      );
      const label = s.state;
      const dur = durationText(s.end - s.start);
      const fits = (text: string) => text.length * 6 + 6 <= x1 - x0;
      if (fits(label)) g.append(svg('text', { x: x0 + 3, y: y + 10, class: 'state-seg-text' }, label));
      if (fits(dur)) g.append(svg('text', { x: x0 + 3, y: y + 21, class: 'state-seg-text' }, dur));
      root.append(g);
    }
  });
  const ay = TOP + 2 * BAND_H + BAND_GAP + 14;
  root.append(
    svg('text', { x: BAR_X, y: ay, class: 'state-axis' }, '0'),
    svg('text', { x: BAR_X + BAR_W, y: ay, class: 'state-axis', 'text-anchor': 'end' }, `capture end +${durationText(end)}`),
    svg('text', { x: BAR_X + BAR_W / 2, y: ay + 12, class: 'state-axis', 'text-anchor': 'middle' }, 'time since the flow began (stretched so short states stay visible)'),
  );

  const badges = el('div', { className: 'state-badges' });
  if (d.joinedMidStream) badges.append(el('span', { className: 'state-badge', textContent: 'joined mid-stream: the handshake was not captured, earlier states unknown' }));
  if (d.synMissing) badges.append(el('span', { className: 'state-badge', textContent: 'SYN not captured' }));
  if (d.refused) badges.append(el('span', { className: 'state-badge', textContent: 'refused: nothing listened on the port' }));

  const view = el('div', { className: 'state-view' }, el('h3', { textContent: 'Endpoint states' }));
  if (badges.childElementCount) view.append(badges);
  view.append(root, ...d.endpoints.map((e) => stateTable(e, end)));
  return view;
}

function stateTable(e: EndpointStateTimeline, end: number): HTMLElement {
  const table = el('table', { className: 'state-table', 'data-role': e.role });
  table.append(
    el('caption', { textContent: `${e.role === 'client' ? 'Client' : 'Server'} ${e.address}: final ${e.final}` }),
    el(
      'thead',
      {},
      el('tr', {}, el('th', { textContent: 'State', scope: 'col' }), el('th', { textContent: 'From frame', scope: 'col' }), el('th', { textContent: 'At (s)', scope: 'col' }), el('th', { textContent: 'Time in state', scope: 'col' })),
    ),
  );
  const body = el('tbody');
  const segs = segmentsOf(e, end);
  segs.forEach((s, i) => {
    const last = i === segs.length - 1;
    body.append(
      el(
        'tr',
        {},
        el('td', { textContent: last ? `${s.state} (final)` : s.state }),
        el('td', { className: 'num', textContent: s.frame === null ? 'start' : String(s.frame) }),
        el('td', { className: 'num', textContent: `+${s.start.toFixed(6)}` }),
        el('td', { className: 'num', textContent: durationText(s.end - s.start) + (last ? ' (to capture end)' : '') }),
      ),
    );
  });
  table.append(body);
  return table;
}
