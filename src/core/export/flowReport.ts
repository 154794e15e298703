import { TCP_STATE_NAMES, type StateTransition, type TcpStateName } from '../analysis/endpointStates';
import type { HandshakeTiming } from '../analysis/handshake';
import type { RttStats } from '../analysis/rtt';
import type { StreamAnalysisStats } from '../analysis/seqAnalysis';
import type { ZeekConnState } from '../analysis/zeek';
import type { FullAnalysis } from '../fullAnalysis';
import { csvField, endpointString } from '../util/format';
import { flowSummary, FLOW_CSV_COLUMNS, type FlowSummary } from './flows';

/**
 * A flow with everything the analysis knows about it: the summary columns plus both vocabularies of its fate
 * (endpoint states and Zeek conn_state/history), timing and counters. Field names are a public contract
 * (CLI JSON/CSV, exports, the UI).
 */
export interface FlowReport extends FlowSummary {
  /** Zeek conn_state (S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH). */
  connState: ZeekConnState;
  /** Zeek history letters (upper case: originator). */
  history: string;
  /** Endpoint states at the end of the capture. */
  clientState: TcpStateName;
  serverState: TcpStateName;
  joinedMidStream: boolean;
  transitions: (Omit<StateTransition, 'side'> & { endpoint: string })[];
  /** Milliseconds each endpoint spent in each state (to the end of the capture). */
  clientTimeInStateMs: Partial<Record<TcpStateName, number>>;
  serverTimeInStateMs: Partial<Record<TcpStateName, number>>;
  /** Wireshark's tcp.analysis.initial_rtt in milliseconds, null when the handshake was not seen. */
  irttMs: number | null;
  rtt: RttStats | null;
  handshake: Omit<HandshakeTiming, 'stream' | 'clientSide'> | null;
  counters: StreamAnalysisStats & { zeroWindowSeconds: number };
}

function ms(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Builds FlowReports; per-capture lookups (zero-window time per stream) are prepared once. */
export class FlowReporter {
  private readonly zeroWindowSeconds = new Map<number, number>();

  constructor(private readonly full: FullAnalysis) {
    const c = full.collector;
    for (let k = 0; k < c.stallCount; k++) {
      const s = c.stallStream[k]!;
      this.zeroWindowSeconds.set(s, (this.zeroWindowSeconds.get(s) ?? 0) + c.stallEnd[k]! - c.stallStart[k]!);
    }
  }

  report(s: number): FlowReport {
    return flowReport(this.full, s, this.zeroWindowSeconds.get(s) ?? 0);
  }
}

function flowReport(full: FullAnalysis, s: number, zeroWindowSeconds: number): FlowReport {
  const summary = flowSummary(full.capture, s);
  const flows = full.capture.flows;
  const client = flows.clientDir[s]!;
  const st = full.states.streamStates(s);
  const names = [0, 1].map((side) => {
    const e = flows.endpoint(s, side);
    return endpointString(e.version, e.words, e.port);
  });
  const sideName = (side: number) => names[side]!;
  const timeIn = (side: number): Partial<Record<TcpStateName, number>> => {
    const t = full.states.timeInState(s, side);
    const out: Partial<Record<TcpStateName, number>> = {};
    t.forEach((v, i) => {
      if (v > 0) out[TCP_STATE_NAMES[i]!] = ms(v);
    });
    return out;
  };
  const irtt = full.seq.irtt(s);
  const hs = full.handshakes.timing(s);
  let handshake: FlowReport['handshake'] = null;
  if (hs) {
    const { stream: _s, clientSide: _c, ...rest } = hs;
    handshake = rest;
  }
  return {
    ...summary,
    connState: full.zeek.connState(s),
    history: full.zeek.history(s),
    clientState: TCP_STATE_NAMES[full.states.stateOf(s, client)]!,
    serverState: TCP_STATE_NAMES[full.states.stateOf(s, client ^ 1)]!,
    joinedMidStream: st.joinedMidStream,
    transitions: st.transitions.map(({ side, ...t }) => ({ ...t, endpoint: sideName(side) })),
    clientTimeInStateMs: timeIn(client),
    serverTimeInStateMs: timeIn(client ^ 1),
    irttMs: irtt === irtt ? ms(irtt * 1000) : null,
    rtt: full.rtt.stats(s) ?? null,
    handshake,
    counters: { ...full.seq.streamStats(s), zeroWindowSeconds: ms(zeroWindowSeconds) },
  };
}

export const FLOW_REPORT_CSV_COLUMNS = [
  ...FLOW_CSV_COLUMNS,
  'connState',
  'history',
  'clientState',
  'serverState',
  'irttMs',
  'rttMedianMs',
  'retransmissions',
  'fastRetransmissions',
  'spuriousRetransmissions',
  'outOfOrder',
  'duplicateAcks',
  'zeroWindows',
  'zeroWindowSeconds',
  'resets',
  'maxBytesInFlight',
] as const;

export function flowReportCsvRow(r: FlowReport): string {
  const flat: Record<string, unknown> = {
    ...r,
    ...r.counters,
    rttMedianMs: r.rtt?.medianMs ?? '',
  };
  return FLOW_REPORT_CSV_COLUMNS.map((k) => csvField(flat[k] as string | number | null | undefined)).join(',');
}

/**
 * Zeek conn.log (TSV, #fields header) rows for the TCP flows. Fields Zeek fills from other analyzers (service,
 * local_orig...) are '-'; orig/resp_bytes follow Zeek (sequence-space payload); the *_ip_bytes columns count whole
 * frames as captured on the wire (link header included), a little more than Zeek's IP-only figure.
 */
export function zeekConnLog(full: FullAnalysis): string {
  const a = full.capture;
  const f = a.flows;
  const lines = [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
  ];
  for (let s = 0; s < f.count; s++) {
    const o = full.zeek.originatorSide(s);
    const oe = f.endpoint(s, o);
    const re = f.endpoint(s, o ^ 1);
    const oh = endpointString(oe.version, oe.words, 0).replace(/:0$/, '').replace(/^\[|\]$/g, '');
    const rh = endpointString(re.version, re.words, 0).replace(/:0$/, '').replace(/^\[|\]$/g, '');
    const dur = (f.endSec[s]! - f.startSec[s]!) + (f.endNsec[s]! - f.startNsec[s]!) / 1e9;
    const oi = s * 2 + o;
    const ri = s * 2 + (o ^ 1);
    lines.push(
      [
        `${f.startSec[s]}.${String(Math.floor(f.startNsec[s]! / 1000)).padStart(6, '0')}`,
        `T${s}`,
        oh,
        oe.port,
        rh,
        re.port,
        'tcp',
        '-',
        dur.toFixed(6),
        full.zeek.origBytes(s),
        full.zeek.respBytes(s),
        full.zeek.connState(s),
        '-',
        '-',
        0,
        full.zeek.history(s) || '-',
        f.packets[oi],
        f.bytes[oi],
        f.packets[ri],
        f.bytes[ri],
        '-',
      ].join('\t'),
    );
  }
  lines.push('#close');
  return lines.join('\n') + '\n';
}
