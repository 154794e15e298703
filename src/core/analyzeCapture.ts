import { readCapture, type ByteSource, type ReadOptions } from './capture/source';
import type { CaptureError, CaptureFacts, CaptureInterface, CaptureSink, PacketRecord } from './capture/types';
import { decodeFrame, DecodeStatus, Layer, newDecodedPacket, type DecodedPacket } from './decode/packet';
import { linkTypeName } from './decode/linktypes';
import { FlowTable } from './analysis/flowTable';
import { newPacketContext, setFlowContext, type PacketContext } from './analysis/packetContext';
import { grow } from './util/typed';

/**
 * The one entry point the extension host's worker, the CLI and the tests call: bytes in, plain data out.
 * A single streaming pass reads, decodes and accounts every packet; observers see each TCP packet in that pass
 * (the per-packet analysis and the CLI's packet listing hook in here), so nothing is held per packet unless the
 * caller asks for the packet index.
 */

export type { PacketContext };

export interface TcpPacketObserver {
  /**
   * Called for every packet that carries a full TCP header, after the flow table has accounted it.
   * `rec`, `d` and `ctx` are reused between calls: copy what you keep. When the analysis runs beside the reader
   * (src/node/parallel.ts), `rec` and `d` are rebuilt from a segment record: only the fields listed in
   * src/core/analysis/segments.ts are filled.
   */
  onTcpPacket(rec: PacketRecord, d: DecodedPacket, stream: number, dir: number, ctx: PacketContext): void;
}

export interface AnalyzeOptions extends ReadOptions {
  /** Keep frame -> stream and frame -> file offset for every packet (paging packets in a UI). Default false. */
  keepPacketIndex?: boolean;
  observers?: TcpPacketObserver[];
  /** Keep the flow table in shared memory, for a thread that reads it while another goes on using it. */
  sharedFlows?: boolean;
}

export type PacketProblemKind = 'malformed' | 'truncated' | 'unsupported_link';

export interface PacketProblemExample {
  frameNumber: number;
  kind: PacketProblemKind;
  layer: 'link' | 'ipv4' | 'ipv6' | 'tcp' | 'none';
  reason: string;
}

export interface PacketProblems {
  /** Bytes that contradict themselves: a finding per packet (examples capped). */
  malformed: number;
  /** Cut by the snaplen before a full TCP header: expected, not an error. */
  truncated: number;
  /**
   * Cut by the snaplen inside the TCP options (the fixed header whole): analysed, but what the options carry (window
   * scale, SACK, timestamps) is missing. The first frames are in `optionsCutFrames`.
   */
  optionsCut: number;
  optionsCutFrames: number[];
  /** Frames of a link type we do not decode. */
  unsupportedLink: number;
  /** The first examples, in frame order (capped at MAX_EXAMPLES). */
  examples: PacketProblemExample[];
}

export interface PacketIndex {
  count: number;
  /** Stream of each frame (index frameNumber - 1), -1 when the frame is not TCP. */
  stream: Int32Array;
  fileOffset: Float64Array;
}

export interface LinkTypeCount {
  linkType: number;
  name: string;
  packets: number;
}

export interface CaptureAnalysis {
  facts: CaptureFacts;
  stopped: boolean;
  flows: FlowTable;
  tcpPackets: number;
  ipFragments: number;
  linkTypes: LinkTypeCount[];
  problems: PacketProblems;
  /** Time of the first record in file order: Wireshark's reference for frame.time_relative. */
  refSec: number;
  refNsec: number;
  /** Earliest and latest packet time seen (capture order is not always time order). */
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  packetIndex?: PacketIndex;
}

const MAX_EXAMPLES = 200;
const LAYER_NAMES = ['none', 'link', 'ipv4', 'ipv6', 'tcp'] as const;

export function analyzeCapture(source: ByteSource, options: AnalyzeOptions = {}): CaptureAnalysis {
  const pass = createPass(options, source.size ?? 0);
  return pass.finish(readCapture(source, pass.sink, options));
}

function createPass(options: AnalyzeOptions, fileSize: number): { sink: CaptureSink; finish(facts: CaptureFacts & { stopped: boolean }): CaptureAnalysis } {
  const flows = new FlowTable(1024, { shared: options.sharedFlows ?? false });
  const d = newDecodedPacket();
  const observers = options.observers ?? [];
  const linkCounts = new Map<number, number>();
  const problems: PacketProblems = { malformed: 0, truncated: 0, optionsCut: 0, optionsCutFrames: [], unsupportedLink: 0, examples: [] };
  let tcpPackets = 0;
  let ipFragments = 0;
  let firstSec = Infinity;
  let firstNsec = 0;
  let lastSec = -Infinity;
  let lastNsec = 0;
  const index: PacketIndex | undefined = options.keepPacketIndex
    ? { count: 0, stream: new Int32Array(1 << 16), fileOffset: new Float64Array(1 << 16) }
    : undefined;
  const ctx = newPacketContext();
  ctx.fileSize = fileSize;
  flows.fileSize = fileSize;
  let lastLink = -1;
  let lastLinkCount = 0;

  const flushLink = () => {
    if (lastLink >= 0) linkCounts.set(lastLink, (linkCounts.get(lastLink) ?? 0) + lastLinkCount);
  };

  const sink: CaptureSink = {
    onInterface(iface: CaptureInterface) {
      if (!linkCounts.has(iface.linkType)) linkCounts.set(iface.linkType, 0);
    },
    onPacket(rec: PacketRecord) {
      if (rec.linkType !== lastLink) {
        flushLink();
        lastLink = rec.linkType;
        lastLinkCount = 0;
      }
      lastLinkCount++;
      if (rec.hasTimestamp) {
        if (ctx.refSec !== ctx.refSec) {
          ctx.refSec = rec.tsSec;
          ctx.refNsec = rec.tsNsec;
        }
        if (rec.tsSec < firstSec || (rec.tsSec === firstSec && rec.tsNsec < firstNsec)) {
          firstSec = rec.tsSec;
          firstNsec = rec.tsNsec;
        }
        if (rec.tsSec > lastSec || (rec.tsSec === lastSec && rec.tsNsec > lastNsec)) {
          lastSec = rec.tsSec;
          lastNsec = rec.tsNsec;
        }
      }
      let stream = -1;
      let status: DecodeStatus;
      try {
        status = decodeFrame(rec.linkType, rec.buffer, rec.dataOffset, rec.dataOffset + rec.capturedLength, rec.fcsLength, d, rec.originalLength);
      } catch {
        // The decoder checks every read; reaching here is our bug, never the capture's. Keep going.
        status = DecodeStatus.Malformed;
        d.failLayer = Layer.None;
        d.reason = 'internal decoder error';
      }
      if (status === DecodeStatus.Tcp || d.tcpUsable) {
        tcpPackets++;
        flows.fileOffset = rec.fileOffset;
        stream = flows.add(d, rec.frameNumber, rec.tsSec, rec.tsNsec, rec.originalLength);
        // Cut by the snaplen inside the options: analysed, and counted for capture.snaplen with its first frames.
        if (d.tcpOptionsTruncated && status === DecodeStatus.Tcp && problems.optionsCut++ < MAX_EXAMPLES) problems.optionsCutFrames.push(rec.frameNumber);
        // Sequence analysis needs a whole header, as Wireshark's does: damaged ones are only counted.
        if (status === DecodeStatus.Tcp && observers.length > 0) {
          setFlowContext(ctx, flows, stream, rec, d);
          for (let i = 0; i < observers.length; i++) observers[i]!.onTcpPacket(rec, d, stream, flows.lastDir, ctx);
        }
      }
      if (status !== DecodeStatus.Tcp && status !== DecodeStatus.NotTcp) {
        const kind: PacketProblemKind =
          status === DecodeStatus.Malformed ? 'malformed' : status === DecodeStatus.Truncated ? 'truncated' : 'unsupported_link';
        if (kind === 'malformed') problems.malformed++;
        else if (kind === 'truncated') problems.truncated++;
        else problems.unsupportedLink++;
        if (problems.examples.length < MAX_EXAMPLES) {
          problems.examples.push({ frameNumber: rec.frameNumber, kind, layer: LAYER_NAMES[d.failLayer], reason: d.reason });
        }
      } else if (d.fragment) {
        ipFragments++;
      }
      if (index) {
        const n = index.count;
        if (n === index.stream.length) {
          index.stream = grow(index.stream, n * 2);
          index.fileOffset = grow(index.fileOffset, n * 2);
        }
        index.stream[n] = stream;
        index.fileOffset[n] = rec.fileOffset;
        index.count = n + 1;
      }
    },
  };
  const finish = (facts: CaptureFacts & { stopped: boolean }): CaptureAnalysis => {
    flushLink();
    const { stopped, ...captureFacts } = facts;
    const linkTypes = [...linkCounts].map(([linkType, packets]) => ({ linkType, name: linkTypeName(linkType), packets }));
    if (firstSec === Infinity) {
      firstSec = lastSec = 0;
    }
    if (ctx.refSec !== ctx.refSec) ctx.refSec = 0;
    const result: CaptureAnalysis = {
      facts: captureFacts,
      stopped,
      flows,
      tcpPackets,
      ipFragments,
      linkTypes,
      problems,
      refSec: ctx.refSec,
      refNsec: ctx.refNsec,
      firstSec,
      firstNsec,
      lastSec,
      lastNsec,
    };
    if (index) result.packetIndex = index;
    return result;
  };
  return { sink, finish };
}

export type { CaptureError };
