import { existsSync, statSync } from 'node:fs';
import { analyzeCapture, type CaptureAnalysis, type TcpPacketObserver } from '../core/analyzeCapture';
import { flagLetters } from '../core/decode/packet';
import { describeResolution } from '../core/capture/timestamp';
import { flowCsvHeader, flowCsvRow, flowSummaries, type FlowSummary } from '../core/export/flows';
import { endpointString, formatSecondsBetween, isoTime } from '../core/util/format';
import { openFileSource } from '../node/fileSource';
import { Output } from './output';

const USAGE = `usage: tcpscope <command> <capture> [--format FORMAT]

commands:
  summary   what the capture holds          --format text|json
  flows     one line per TCP connection     --format text|json|csv
  packets   one line per TCP packet         --format text|jsonl

exit codes: 0 done, 2 unusable input or bad arguments`;

const FORMATS: Record<string, string[]> = {
  summary: ['text', 'json'],
  flows: ['text', 'json', 'csv'],
  packets: ['text', 'jsonl'],
};

class UsageError extends Error {}

function parseArgs(argv: string[]): { command: string; file: string; format: string } {
  const positional: string[] = [];
  let format: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--format' || a === '-f') {
      format = argv[++i];
      if (!format) throw new UsageError('--format needs a value');
    } else if (a.startsWith('--format=')) format = a.slice(9);
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
  return { command, file, format };
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
  const { command, file, format } = args;
  if (!existsSync(file)) return unusable(file, 'no such file');
  if (statSync(file).isDirectory()) return unusable(file, 'is a directory, not a capture file');

  const out = new Output(process.stdout);
  const observers: TcpPacketObserver[] = [];
  if (command === 'packets') observers.push(packetPrinter(out, format));

  let source;
  try {
    source = openFileSource(file);
  } catch (e) {
    return unusable(file, (e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : String((e as Error).message));
  }
  let analysis: CaptureAnalysis;
  try {
    analysis = analyzeCapture(source, { observers });
  } finally {
    source.close();
  }
  if (analysis.facts.unusable) {
    out.discard();
    return unusable(file, analysis.facts.unusable.message);
  }
  if (command === 'summary') printSummary(out, file, analysis, format);
  else if (command === 'flows') printFlows(out, analysis, format);
  out.flush();
  // Damage after the good part is reported but is not a failure: everything before it was analysed.
  for (const err of analysis.facts.errors) {
    process.stderr.write(`tcpscope: ${file}: warning: ${err.message} (at byte ${err.offset})\n`);
  }
  return 0;
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
      ...(i.statistics ? { statistics: i.statistics } : {}),
    })),
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
      unsupportedLink: a.problems.unsupportedLink,
      examples: a.problems.examples.slice(0, 20),
    },
  };
}

function printSummary(out: Output, file: string, a: CaptureAnalysis, format: string): void {
  const s = summaryObject(file, a);
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
  for (const i of a.facts.interfaces) {
    const st = i.statistics;
    if (st && (st.droppedByInterface || st.droppedByOs)) {
      lines.push(`  drops         interface ${i.index}: ${st.droppedByInterface ?? 0} by interface, ${st.droppedByOs ?? 0} by OS`);
    }
  }
  const p = a.problems;
  if (p.malformed || p.truncated || p.unsupportedLink) {
    lines.push(`  packet issues ${p.malformed} malformed, ${p.truncated} cut by snaplen, ${p.unsupportedLink} of unsupported link type`);
  }
  if (a.ipFragments) lines.push(`  IP fragments  ${a.ipFragments} (not reassembled)`);
  for (const e of s.errors) lines.push(`  error         ${e.message} (byte ${e.offset})`);
  out.write(lines.join('\n') + '\n');
}

function printFlows(out: Output, a: CaptureAnalysis, format: string): void {
  if (format === 'json') {
    out.write('[');
    let first = true;
    for (const f of flowSummaries(a)) {
      out.write((first ? '\n  ' : ',\n  ') + JSON.stringify(f));
      first = false;
    }
    out.write(first ? ']\n' : '\n]\n');
    return;
  }
  if (format === 'csv') {
    out.write(flowCsvHeader() + '\n');
    for (const f of flowSummaries(a)) out.write(flowCsvRow(f) + '\n');
    return;
  }
  const rows: FlowSummary[] = [...flowSummaries(a)];
  const cw = Math.max(6, ...rows.map((r) => r.client.length));
  const sw = Math.max(6, ...rows.map((r) => r.server.length));
  out.write(
    `${'stream'.padStart(6)}  ${'client'.padEnd(cw)}  ${'server'.padEnd(sw)}  ${'packets'.padStart(8)}  ${'bytes'.padStart(11)}  ${'start'.padStart(12)}  ${'duration'.padStart(12)}\n`,
  );
  for (const r of rows) {
    out.write(
      `${String(r.stream).padStart(6)}  ${r.client.padEnd(cw)}  ${r.server.padEnd(sw)}  ${String(r.packets).padStart(8)}  ${String(r.bytes).padStart(11)}  ${r.startTime.toFixed(6).padStart(12)}  ${r.duration.toFixed(6).padStart(12)}\n`,
    );
  }
  if (rows.length === 0) out.write('(no TCP flows)\n');
}

function packetPrinter(out: Output, format: string): TcpPacketObserver {
  return {
    onTcpPacket(rec, d, stream, dir, { flows, refSec, refNsec }) {
      const src = endpointString(d.ipVersion, [d.src0, d.src1, d.src2, d.src3], d.srcPort);
      const dst = endpointString(d.ipVersion, [d.dst0, d.dst1, d.dst2, d.dst3], d.dstPort);
      const time = formatSecondsBetween(refSec, refNsec, rec.tsSec, rec.tsNsec);
      const seq = flows.relSeq(stream, dir, d.seq);
      // Like Wireshark: relative only when the ACK flag makes the field meaningful, raw otherwise.
      const ack = d.flags & 0x10 ? flows.relAck(stream, dir, d.ack) : d.ack;
      const flags = flagLetters(d.flags);
      if (format === 'jsonl') {
        out.write(
          `{"frame":${rec.frameNumber},"stream":${stream},"time":${time},"src":"${src}","dst":"${dst}","flags":"${flags}","seq":${seq},"ack":${ack},"len":${d.payloadLength},"win":${d.window}}\n`,
        );
      } else {
        out.write(
          `${String(rec.frameNumber).padStart(7)} ${time.padStart(14)}  ${src} -> ${dst}  [${flags}] seq=${seq} ack=${ack} len=${d.payloadLength} win=${d.window}  stream ${stream}\n`,
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
