import { existsSync, statSync } from 'node:fs';
import type { CaptureAnalysis, TcpPacketObserver } from '../core/analyzeCapture';
import { analysisFlagNames, type SequenceAnalyzer } from '../core/analysis/seqAnalysis';
import { flagLetters } from '../core/decode/packet';
import { SEVERITY_RANK, type Finding, type Severity } from '../core/diagnostics/types';
import { FLOW_REPORT_CSV_COLUMNS, FlowReporter, flowReportCsvRow, zeekConnLog, type FlowReport } from '../core/export/flowReport';
import { analyzeFull, type FullAnalysis } from '../core/fullAnalysis';
import { relativeAck, relativeSeq } from '../core/analysis/packetContext';
import { describeResolution } from '../core/capture/timestamp';
import { TCP_STATE_NAMES as STATE_NAMES } from '../core/analysis/endpointStates';
import { endpointString, formatSecondsBetween, isoTime } from '../core/util/format';
import { escapeControls } from '../core/util/text';
import { linkTypeName } from '../core/decode/linktypes';
import { openFileSource } from '../node/fileSource';
import { analyzeFile } from '../node/parallel';
import { Output } from './output';

const USAGE = `usage: tcpscope <command> <capture> [--format FORMAT] [--fail-on error|warning|info]

commands:
  summary   what the capture holds                 --format text|json
  flows     one line per TCP connection            --format text|json|csv|zeek
  packets   one line per TCP packet                --format text|jsonl
  diagnose  the TCP problems found, with evidence  --format text|json  [--fail-on error|warning|info]

exit codes: 0 done; 1 diagnose found a problem at or above --fail-on (default error);
            2 unusable input or bad arguments`;

const FORMATS: Record<string, string[]> = {
  summary: ['text', 'json'],
  flows: ['text', 'json', 'csv', 'zeek'],
  packets: ['text', 'jsonl'],
  diagnose: ['text', 'json'],
};
const SEVERITIES: Severity[] = ['error', 'warning', 'info'];

class UsageError extends Error {}

interface Args {
  command: string;
  file: string;
  format: string;
  failOn: Severity;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  let format: string | undefined;
  let failOn: string = 'error';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--format' || a === '-f') {
      format = argv[++i];
      if (!format) throw new UsageError('--format needs a value');
    } else if (a.startsWith('--format=')) format = a.slice(9);
    else if (a === '--fail-on') {
      failOn = argv[++i] ?? '';
      if (!failOn) throw new UsageError('--fail-on needs a value');
    } else if (a.startsWith('--fail-on=')) failOn = a.slice(10);
    else if (a === '--help' || a === '-h') throw new UsageError('');
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const [command, file] = positional;
  if (!command || !FORMATS[command]) throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
  if (!file) throw new UsageError(`${command} needs a capture file`);
  if (positional.length > 2) throw new UsageError(`unexpected argument '${positional[2]}'`);
  format ??= 'text';
  if (!FORMATS[command]!.includes(format)) {
    throw new UsageError(`${command} does not know --format ${format} (use ${FORMATS[command]!.join(', ')})`);
  }
  if (!SEVERITIES.includes(failOn as Severity)) throw new UsageError(`--fail-on takes error, warning or info, not '${failOn}'`);
  return { command, file, format, failOn: failOn as Severity };
}

function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) process.stderr.write(`tcpscope: ${e.message}\n`);
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  const { command, file, format, failOn } = args;
  if (!existsSync(file)) return unusable(file, 'no such file');
  if (statSync(file).isDirectory()) return unusable(file, 'is a directory, not a capture file');

  const out = new Output(process.stdout);

  let full: FullAnalysis;
  try {
    if (command === 'packets') {
      // The packet listing reads addresses off each decoded packet, so it runs where the packets are decoded.
      const source = openFileSource(file);
      try {
        full = analyzeFull(source, { observers: ({ seq }) => [packetPrinter(out, format, seq)] });
      } finally {
        source.close();
      }
    } else {
      full = analyzeFile(file);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return unusable(file, 'permission denied');
    if (code) return unusable(file, String((e as Error).message));
    throw e;
  }
  const analysis = full.capture;
  if (analysis.facts.unusable) {
    out.discard();
    return unusable(file, analysis.facts.unusable.message);
  }
  let exitCode = 0;
  if (command === 'summary') printSummary(out, file, full, format);
  else if (command === 'flows') printFlows(out, full, format);
  else if (command === 'diagnose') {
    printFindings(out, full.findings, format);
    if (full.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn])) exitCode = 1;
  }
  out.flush();
  // Damage after the good part is reported but is not a failure: everything before it was analysed.
  for (const err of analysis.facts.errors) {
    process.stderr.write(`tcpscope: ${file}: warning: ${err.message} (at byte ${err.offset})\n`);
  }
  return exitCode;
}

function unusable(file: string, reason: string): number {
  process.stderr.write(`tcpscope: ${file}: ${reason}\n`);
  return 2;
}

function summaryObject(file: string, a: CaptureAnalysis) {
  return {
    file,
    format: a.facts.format,
    byteOrder: a.facts.byteOrder,
    version: a.facts.version,
    sections: a.facts.sections,
    interfaces: a.facts.interfaces.map((i) => ({
      index: i.index,
      linkType: i.linkType,
      snapLength: i.snapLength,
      timestampResolution: describeResolution(i.resolution),
      ...(i.name !== undefined ? { name: i.name } : {}),
      ...(i.description !== undefined ? { description: i.description } : {}),
      ...(i.comments?.length ? { comments: i.comments } : {}),
      ...(i.statistics ? { statistics: i.statistics } : {}),
    })),
    comments: {
      section: a.facts.metadata.sectionCommentsTotal,
      interface: a.facts.metadata.interfaceCommentsTotal,
      packet: a.facts.metadata.packetCommentsTotal,
    },
    nameResolutionEntries: a.facts.metadata.namesTotal,
    linkTypes: a.linkTypes,
    packets: a.facts.packets,
    tcpPackets: a.tcpPackets,
    flows: a.flows.count,
    ipFragments: a.ipFragments,
    firstTime: a.facts.packets ? isoTime(a.firstSec, a.firstNsec) : null,
    lastTime: a.facts.packets ? isoTime(a.lastSec, a.lastNsec) : null,
    duration: a.facts.packets ? Number(formatSecondsBetween(a.firstSec, a.firstNsec, a.lastSec, a.lastNsec)) : 0,
    bytesRead: a.facts.bytesRead,
    errors: a.facts.errors.map((e) => ({ code: e.code, message: e.message, offset: e.offset, fatal: e.fatal, ...(e.frameNumber ? { frameNumber: e.frameNumber } : {}) })),
    packetProblems: {
      malformed: a.problems.malformed,
      truncated: a.problems.truncated,
      optionsCut: a.problems.optionsCut,
      unsupportedLink: a.problems.unsupportedLink,
      examples: a.problems.examples.slice(0, 20),
    },
  };
}

function printSummary(out: Output, file: string, full: FullAnalysis, format: string): void {
  const a = full.capture;
  const s = {
    ...summaryObject(file, a),
    flowsByClientState: countBy(full, (st) => st.clientState),
    flowsByServerState: countBy(full, (st) => st.serverState),
    flowsByConnState: full.zeek.connStateCounts(),
    findings: { error: 0, warning: 0, info: 0 } as Record<Severity, number>,
  };
  for (const f of full.findings) s.findings[f.severity]++;
  if (format === 'json') {
    out.write(JSON.stringify(s, null, 2) + '\n');
    return;
  }
  const lines = [
    `${file}`,
    `  format        ${s.format} ${s.version}, ${s.byteOrder}-endian${s.sections > 1 ? `, ${s.sections} sections` : ''}`,
    `  link types    ${s.linkTypes.map((l) => `${l.name} (${l.linkType})`).join(', ') || '-'}`,
    `  packets       ${s.packets} (${s.tcpPackets} TCP)`,
    `  TCP flows     ${s.flows}`,
    `  first packet  ${s.firstTime ?? '-'}`,
    `  last packet   ${s.lastTime ?? '-'}`,
    `  duration      ${s.duration} s`,
  ];
  // Classic pcap and unnamed pcapng interfaces say nothing the link types line does not.
  const named = a.facts.interfaces.some((i) => i.name || i.description);
  for (const i of named ? a.facts.interfaces.slice(0, 16) : []) {
    // Names come from the capture: escaped so that a crafted one cannot move the terminal's cursor or colours.
    const label = [i.name, i.description].filter((x) => x).map((x) => escapeControls(x!)).join(' - ');
    lines.push(`  interface ${String(i.index).padEnd(3)} ${label || '(no name)'}, ${linkTypeName(i.linkType)} (${i.linkType})`);
  }
  if (named && a.facts.interfaces.length > 16) lines.push(`  interfaces    ... ${a.facts.interfaces.length - 16} more`);
  const c = s.comments;
  if (c.section + c.interface + c.packet) lines.push(`  comments      ${c.packet} on packets, ${c.section} on sections, ${c.interface} on interfaces`);
  if (s.nameResolutionEntries) lines.push(`  names         ${s.nameResolutionEntries} name resolution entries`);
  for (const i of a.facts.interfaces) {
    const st = i.statistics;
    if (st && (st.droppedByInterface || st.droppedByOs)) {
      lines.push(`  drops         interface ${i.index}: ${st.droppedByInterface ?? 0} by interface, ${st.droppedByOs ?? 0} by OS`);
    }
  }
  const p = a.problems;
  if (p.malformed || p.truncated || p.optionsCut || p.unsupportedLink) {
    lines.push(`  packet issues ${p.malformed} malformed, ${p.truncated} cut by snaplen (${p.optionsCut} more inside the TCP options), ${p.unsupportedLink} of unsupported link type`);
  }
  if (a.ipFragments) lines.push(`  IP fragments  ${a.ipFragments} (not reassembled)`);
  for (const e of s.errors) lines.push(`  error         ${e.message} (byte ${e.offset})`);
  if (s.flows) {
    const fmt = (m: Record<string, number>) =>
      Object.entries(m)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
    lines.push(`  conn_state    ${fmt(s.flowsByConnState)}`);
    lines.push(`  client ends   ${fmt(s.flowsByClientState)}`);
    lines.push(`  server ends   ${fmt(s.flowsByServerState)}`);
  }
  lines.push(`  findings      ${s.findings.error} errors, ${s.findings.warning} warnings, ${s.findings.info} notes (tcpscope diagnose for details)`);
  out.write(lines.join('\n') + '\n');
}

function countBy(full: FullAnalysis, key: (r: { clientState: string; serverState: string }) => string): Record<string, number> {
  const out: Record<string, number> = {};
  const flows = full.capture.flows;
  for (let s = 0; s < flows.count; s++) {
    const c = flows.clientDir[s]!;
    const k = key({ clientState: STATE_NAMES[full.states.stateOf(s, c)]!, serverState: STATE_NAMES[full.states.stateOf(s, c ^ 1)]! });
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function printFlows(out: Output, full: FullAnalysis, format: string): void {
  const reporter = new FlowReporter(full);
  const count = full.capture.flows.count;
  if (format === 'zeek') {
    out.write(zeekConnLog(full));
    return;
  }
  if (format === 'json') {
    out.write('[');
    for (let s = 0; s < count; s++) out.write((s ? ',\n  ' : '\n  ') + JSON.stringify(reporter.report(s)));
    out.write(count ? '\n]\n' : ']\n');
    return;
  }
  if (format === 'csv') {
    out.write(FLOW_REPORT_CSV_COLUMNS.join(',') + '\n');
    for (let s = 0; s < count; s++) out.write(flowReportCsvRow(reporter.report(s)) + '\n');
    return;
  }
  const rows: FlowReport[] = [];
  for (let s = 0; s < count; s++) rows.push(reporter.report(s));
  const cw = Math.max(6, ...rows.map((r) => r.client.length));
  const sw = Math.max(6, ...rows.map((r) => r.server.length));
  out.write(
    `${'stream'.padStart(6)}  ${'client'.padEnd(cw)}  ${'server'.padEnd(sw)}  ${'state'.padEnd(6)} ${'client end'.padEnd(12)} ${'server end'.padEnd(12)} ${'packets'.padStart(7)} ${'bytes'.padStart(10)} ${'start'.padStart(10)} ${'duration'.padStart(10)} ${'retx'.padStart(5)} ${'rtt ms'.padStart(8)}  history\n`,
  );
  for (const r of rows) {
    out.write(
      `${String(r.stream).padStart(6)}  ${r.client.padEnd(cw)}  ${r.server.padEnd(sw)}  ${r.connState.padEnd(6)} ${r.clientState.padEnd(12)} ${r.serverState.padEnd(12)} ${String(r.packets).padStart(7)} ${String(r.bytes).padStart(10)} ${r.startTime.toFixed(3).padStart(10)} ${r.duration.toFixed(3).padStart(10)} ${String(r.counters.retransmissions).padStart(5)} ${(r.rtt ? r.rtt.medianMs.toFixed(3) : r.irttMs !== null ? r.irttMs.toFixed(3) : '-').padStart(8)}  ${r.history}\n`,
    );
  }
  if (rows.length === 0) out.write('(no TCP flows)\n');
}

function printFindings(out: Output, findings: Finding[], format: string): void {
  if (format === 'json') {
    out.write(JSON.stringify(findings, null, 2) + '\n');
    return;
  }
  if (findings.length === 0) {
    out.write('no problems found\n');
    return;
  }
  for (const f of findings) {
    const when = f.window ? ` [${f.window.start}s - ${f.window.end}s]` : '';
    out.write(`${f.severity.toUpperCase().padEnd(7)} ${f.code}${when}\n  ${f.message}\n`);
    out.write(wrap(f.explanation, 100, '  ') + '\n');
    if (f.frames.length) out.write(`  frames: ${f.frames.slice(0, 12).join(', ')}${f.frames.length > 12 ? ', ...' : ''}\n`);
    if (f.streams.length) out.write(`  streams: ${f.streams.slice(0, 12).join(', ')}${f.streams.length > 12 ? ', ...' : ''} (tcp.stream)\n`);
    out.write('\n');
  }
}

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = indent;
  for (const w of words) {
    if (line.length + w.length + 1 > width && line.trim()) {
      lines.push(line);
      line = indent;
    }
    line += (line.trim() ? ' ' : '') + w;
  }
  if (line.trim()) lines.push(line);
  return lines.join('\n');
}

function packetPrinter(out: Output, format: string, seq: SequenceAnalyzer): TcpPacketObserver {
  return {
    onTcpPacket(rec, d, stream, _dir, ctx) {
      const { refSec, refNsec } = ctx;
      const src = endpointString(d.ipVersion, [d.src0, d.src1, d.src2, d.src3], d.srcPort);
      const dst = endpointString(d.ipVersion, [d.dst0, d.dst1, d.dst2, d.dst3], d.dstPort);
      const time = formatSecondsBetween(refSec, refNsec, rec.tsSec, rec.tsNsec);
      const seqRel = relativeSeq(ctx, d.seq);
      const ack = relativeAck(ctx, d.flags, d.ack);
      const flags = flagLetters(d.flags);
      const analysis = analysisFlagNames(seq.lastFlags);
      const win = seq.lastWindowScaled;
      if (format === 'jsonl') {
        out.write(
          `{"frame":${rec.frameNumber},"stream":${stream},"time":${time},"src":"${src}","dst":"${dst}","flags":"${flags}","seq":${seqRel},"ack":${ack},"len":${d.payloadLength},"win":${win},"winRaw":${d.window},"analysis":${JSON.stringify(analysis)}${seq.lastDupAckNum ? `,"dupAckNum":${seq.lastDupAckNum},"dupAckFrame":${seq.lastDupAckFrame}` : ''}}\n`,
        );
      } else {
        const notes = analysis.length ? `  [${analysis.join(', ')}${seq.lastDupAckNum ? ` #${seq.lastDupAckNum} of ${seq.lastDupAckFrame}` : ''}]` : '';
        out.write(
          `${String(rec.frameNumber).padStart(7)} ${time.padStart(14)}  ${src} -> ${dst}  [${flags}] seq=${seqRel} ack=${ack} len=${d.payloadLength} win=${win}  stream ${stream}${notes}\n`,
        );
      }
    },
  };
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  // A bug of ours, never the capture's fault: one line, no stack, a distinct exit code.
  process.stderr.write(`tcpscope: internal error: ${(e as Error).message ?? String(e)}\n`);
  process.exitCode = 3;
}
