import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPacketContext, setFlowContext, type PacketContext } from '../../src/core/analysis/packetContext';
import { newPacketRecord } from '../../src/core/capture/reader';
import { DecodeStatus, newDecodedPacket, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/core/decode/packet';
import { FlowTable } from '../../src/core/analysis/flowTable';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../../src/core/analysis/seq';
import {
  analysisFlagNames,
  SequenceAnalyzer,
  TA_ACK_LOST_SEGMENT,
  TA_DUPLICATE_ACK,
  TA_KEEP_ALIVE,
  TA_KEEP_ALIVE_ACK,
  TA_LOST_SEGMENT,
  TA_OUT_OF_ORDER,
  TA_RETRANSMISSION,
  TA_REUSED_PORTS,
  TA_SPURIOUS_RETRANSMISSION,
  TA_WINDOW_FULL,
  TA_WINDOW_UPDATE,
  TA_ZERO_WINDOW,
  TA_ZERO_WINDOW_PROBE,
  TA_ZERO_WINDOW_PROBE_ACK,
} from '../../src/core/analysis/seqAnalysis';

/**
 * Hand-made packet sequences fed straight through a FlowTable and the analyzer (no capture file): each rule of
 * docs/tcp-analysis.md with a case that sets its flag and a near miss that must not.
 */

const C = 0; // client 10.0.0.1:40000
const S = 1; // server 10.0.0.2:80

interface Seg {
  seq: number;
  ack?: number;
  flags?: number;
  len?: number;
  win?: number;
  /** Microseconds after the previous packet (default 100). */
  dt?: number;
  ws?: number;
  sack?: Array<[number, number]>;
  optionsCut?: boolean;
  /** Bytes of the frame on the wire, when shorter than the IP header claims. */
  wireLength?: number;
}

class Conv {
  readonly flows = new FlowTable(16);
  readonly a: SequenceAnalyzer;
  private readonly d = newDecodedPacket();
  private frame = 0;
  private tUs = 0;
  private readonly ctx: PacketContext;
  private readonly rec = Object.assign(newPacketRecord(), { linkType: 1 });
  lastStream = -1;

  constructor(options: ConstructorParameters<typeof SequenceAnalyzer>[0] = {}, private readonly ports: [number, number] = [40000, 80]) {
    this.a = new SequenceAnalyzer({ keepPerFrame: true, ...options });
    this.ctx = { ...newPacketContext(), refSec: 0, refNsec: 0 };
  }

  /** Sends one segment from `from` (C or S); returns the analyzer's flag mask for it. */
  send(from: number, s: Seg): number {
    const d = this.d;
    d.status = DecodeStatus.Tcp;
    d.ipVersion = 4;
    d.src0 = from === C ? 0x0a000001 : 0x0a000002;
    d.dst0 = from === C ? 0x0a000002 : 0x0a000001;
    d.srcPort = from === C ? this.ports[0] : this.ports[1];
    d.dstPort = from === C ? this.ports[1] : this.ports[0];
    d.seq = s.seq >>> 0;
    d.ack = (s.ack ?? 0) >>> 0;
    d.flags = s.flags ?? TCP_ACK;
    d.window = s.win ?? 1000;
    d.payloadLength = s.len ?? 0;
    d.ipOffset = 14;
    d.ipHeaderLength = 20;
    d.tcpOffset = 34;
    d.tcpHeaderLength = 20;
    d.ipTotalLength = 40 + d.payloadLength;
    d.windowScale = s.ws ?? -1;
    d.sackCount = 0;
    for (const [l, r] of s.sack ?? []) {
      d.sackLeft[d.sackCount] = l >>> 0;
      d.sackRight[d.sackCount] = r >>> 0;
      d.sackCount++;
    }
    d.tcpOptionsTruncated = s.optionsCut ?? false;
    d.mptcp = false;
    this.tUs += s.dt ?? 100;
    const rec = this.rec;
    rec.frameNumber = ++this.frame;
    rec.tsSec = Math.floor(this.tUs / 1e6);
    rec.tsNsec = Math.round((this.tUs % 1e6) * 1000);
    rec.originalLength = s.wireLength ?? 54 + d.payloadLength;
    rec.capturedLength = rec.originalLength;
    const stream = this.flows.add(d, rec.frameNumber, rec.tsSec, rec.tsNsec, rec.originalLength);
    this.lastStream = stream;
    setFlowContext(this.ctx, this.flows, stream, rec, d);
    this.a.onTcpPacket(rec, d, stream, this.flows.lastDir, this.ctx);
    return this.a.lastFlags;
  }

  /** Three-way handshake with client ISN `ci` and server ISN `si`; returns nothing, asserts no flags. */
  handshake(ci: number, si: number, opt: { cws?: number; sws?: number; cwin?: number; swin?: number } = {}): void {
    assert.equal(this.send(C, { seq: ci, flags: TCP_SYN, win: opt.cwin ?? 1000, ws: opt.cws ?? -1, dt: 0 }), 0);
    assert.equal(this.send(S, { seq: si, ack: ci + 1, flags: TCP_SYN | TCP_ACK, win: opt.swin ?? 1000, ws: opt.sws ?? -1, dt: 1000 }), 0);
    assert.equal(this.send(C, { seq: ci + 1, ack: si + 1, win: opt.cwin ?? 1000, dt: 1000 }), 0);
  }
}

const names = (m: number) => analysisFlagNames(m).join(',');

test('seq helpers compare across the 2^32 wrap', () => {
  assert.ok(seqLt(0xfffffff0, 0x10));
  assert.ok(seqGt(0x10, 0xfffffff0));
  assert.ok(seqLe(0x10, 0x10) && seqGe(0x10, 0x10));
  assert.ok(!seqLt(0x10, 0xfffffff0));
  assert.equal(seqDiff(0x10, 0xfffffff0), 0x20);
  assert.equal(seqDiff(0xfffffff0, 0x10), -0x20);
  assert.equal(seqAdd(0xffffffff, 2), 1);
  // At exactly half the space both orders hold, as with Wireshark's macros.
  assert.ok(seqLt(0, 0x80000000) && seqGt(0, 0x80000000));
});

test('clean exchange: no flags, ACK RTT, bytes in flight, initial RTT', () => {
  const c = new Conv();
  c.handshake(1000, 5000);
  assert.ok(Math.abs(c.a.irtt(0) - 0.002) < 1e-9, 'iRTT is first SYN to first pure ACK');
  assert.equal(c.send(C, { seq: 1001, ack: 5001, len: 100, flags: TCP_ACK | TCP_PSH }), 0);
  assert.equal(c.a.lastBytesInFlight, 100);
  assert.equal(c.send(C, { seq: 1101, ack: 5001, len: 100 }), 0);
  assert.equal(c.a.lastBytesInFlight, 200);
  assert.equal(c.send(S, { seq: 5001, ack: 1201, dt: 3000 }), 0);
  assert.equal(c.a.lastAcksFrame, 5, 'the ACK of both segments names the one it ends at');
  assert.ok(Math.abs(c.a.lastAckRtt - 0.003) < 1e-9);
  assert.equal(c.a.unackedSegments, 0, 'acknowledged segments are forgotten');
  assert.equal(c.send(S, { seq: 5001, ack: 1201, len: 10 }), 0);
  assert.equal(c.a.lastAcksFrame, 0);
  assert.ok(Number.isNaN(c.a.lastAckRtt));
});

test('sequence numbers wrapping past 2^32 raise nothing; a retransmission across the wrap is one', () => {
  const c = new Conv();
  const isn = 0xffffff00;
  c.handshake(isn, 7);
  let seq = isn + 1;
  for (let i = 0; i < 4; i++) {
    assert.equal(c.send(C, { seq, ack: 8, len: 100 }), 0, `segment ${i}`);
    seq += 100;
  }
  assert.equal(c.a.lastBytesInFlight, 400);
  assert.equal(c.send(S, { seq: 8, ack: (isn + 201) >>> 0 }), 0);
  // Bytes 0xffffffc9.. were acked; resending the segment that crosses the wrap is a retransmission.
  const f = c.send(C, { seq: (isn + 201) >>> 0, ack: 8, len: 100, dt: 200_000 });
  assert.equal(names(f), 'retransmission');
  assert.equal(c.send(S, { seq: 8, ack: (isn + 401) >>> 0 }), 0);
  assert.equal(c.send(C, { seq: (isn + 401) >>> 0, ack: 8, len: 50 }), 0, 'new data after the wrap is in order');
});

test('lost segment and ACKed unseen segment', () => {
  const c = new Conv();
  c.handshake(0, 100);
  assert.equal(c.send(C, { seq: 1, ack: 101, len: 100 }), 0);
  assert.equal(c.send(C, { seq: 201, ack: 101, len: 100 }), TA_LOST_SEGMENT, 'a gap of 100 bytes');
  assert.equal(c.send(S, { seq: 101, ack: 101 }), 0, 'ACK of what was seen');
  const c2 = new Conv();
  c2.handshake(0, 100);
  assert.equal(c2.send(C, { seq: 1, ack: 101, len: 100 }), 0);
  assert.equal(c2.send(S, { seq: 101, ack: 301 }), TA_ACK_LOST_SEGMENT, 'the ACK covers bytes never seen');
  assert.equal(c2.send(S, { seq: 101, ack: 401, win: 2000 }), 0, 'said once until the peer moves its ACK');
  assert.equal(c2.send(C, { seq: 401, ack: 101, len: 10 }) & TA_ACK_LOST_SEGMENT, 0);
});

test('duplicate ACKs count up and name the ACK they repeat; a window change is an update instead', () => {
  const c = new Conv();
  c.handshake(0, 100);
  c.send(C, { seq: 1, ack: 101, len: 100 });
  c.send(S, { seq: 101, ack: 101 }); // frame 5: the ACK the duplicates repeat
  for (let n = 1; n <= 3; n++) {
    assert.equal(c.send(S, { seq: 101, ack: 101 }), TA_DUPLICATE_ACK);
    assert.equal(c.a.lastDupAckNum, n);
    assert.equal(c.a.lastDupAckFrame, 5);
  }
  assert.equal(c.send(S, { seq: 101, ack: 101, win: 3000 }), TA_WINDOW_UPDATE);
  assert.equal(c.a.lastDupAckNum, 0);
  assert.equal(c.send(S, { seq: 101, ack: 101, win: 3000, len: 5 }), 0, 'data is never a duplicate ACK');
  assert.equal(c.send(S, { seq: 106, ack: 101, win: 3000, flags: TCP_ACK | TCP_FIN }), 0, 'nor is a FIN');
});

test('fast retransmission within 20 ms of the second duplicate ACK, plain retransmission later', () => {
  for (const [gapUs, expected] of [
    [5_000, 'retransmission,fast_retransmission'],
    [25_000, 'retransmission'],
  ] as const) {
    const c = new Conv();
    c.handshake(0, 100);
    c.send(C, { seq: 1, ack: 101, len: 100 });
    c.send(C, { seq: 101, ack: 101, len: 100 });
    c.send(C, { seq: 201, ack: 101, len: 100 });
    c.send(S, { seq: 101, ack: 101, dt: 10_000 });
    c.send(S, { seq: 101, ack: 101 });
    c.send(S, { seq: 101, ack: 101 });
    assert.equal(names(c.send(C, { seq: 101, ack: 101, len: 100, dt: gapUs })), expected, `after ${gapUs} us`);
  }
});

test('spurious retransmission: data the peer already acknowledged', () => {
  const c = new Conv();
  c.handshake(0, 100);
  c.send(C, { seq: 1, ack: 101, len: 100 });
  c.send(S, { seq: 101, ack: 101 });
  assert.equal(names(c.send(C, { seq: 1, ack: 101, len: 100, dt: 300_000 })), 'retransmission,spurious_retransmission');
  assert.equal(c.a.streamStats(0).spuriousRetransmissions, 1);
  assert.equal(c.a.streamStats(0).retransmissions, 1);
});

test('out of order: an older segment soon after a newer one (iRTT threshold), retransmission when late', () => {
  for (const [gapUs, expected] of [
    [500, TA_OUT_OF_ORDER],
    [5_000, TA_RETRANSMISSION],
  ] as const) {
    const c = new Conv();
    c.handshake(0, 100); // iRTT 2 ms
    c.send(C, { seq: 1, ack: 101, len: 100 });
    assert.equal(c.send(C, { seq: 201, ack: 101, len: 100 }), TA_LOST_SEGMENT);
    assert.equal(c.send(C, { seq: 101, ack: 101, len: 100, dt: gapUs }), expected, `after ${gapUs} us`);
  }
});

test('zero window, zero-window probe and its ACK; RST with window 0 is not a zero window', () => {
  const c = new Conv();
  c.handshake(0, 100);
  c.send(C, { seq: 1, ack: 101, len: 100 });
  assert.equal(c.send(S, { seq: 101, ack: 101, win: 0 }), TA_ZERO_WINDOW);
  assert.equal(c.send(C, { seq: 101, ack: 101, len: 1, dt: 200_000 }), TA_ZERO_WINDOW_PROBE);
  assert.equal(c.send(S, { seq: 101, ack: 101, win: 0 }), TA_ZERO_WINDOW | TA_ZERO_WINDOW_PROBE_ACK);
  // The probe did not advance the sender: the same byte again is a probe again, not a retransmission.
  assert.equal(c.send(C, { seq: 101, ack: 101, len: 1, dt: 400_000 }), TA_ZERO_WINDOW_PROBE);
  assert.equal(c.send(S, { seq: 101, ack: 101, win: 0, flags: TCP_RST | TCP_ACK }), 0);
  assert.equal(c.a.streamStats(0).zeroWindows, 2);
  assert.equal(c.a.streamStats(0).resets, 1);
});

test('window full: data reaching exactly the right edge of the peer window', () => {
  const c = new Conv();
  c.handshake(0, 100, { swin: 300 }); // no window scaling: windows are taken as they are
  c.send(S, { seq: 101, ack: 1, win: 300 });
  assert.equal(c.send(C, { seq: 1, ack: 101, len: 200 }), 0);
  assert.equal(c.send(C, { seq: 201, ack: 101, len: 100 }), TA_WINDOW_FULL);
  const c2 = new Conv();
  c2.handshake(0, 100, { cws: 2, sws: 2 });
  c2.send(S, { seq: 101, ack: 1, win: 100 }); // 100 << 2 = 400 bytes, the first pure ACK after the SYN-ACK
  assert.equal(c2.send(C, { seq: 1, ack: 101, len: 399 }), 0);
  assert.equal(c2.send(C, { seq: 400, ack: 101, len: 1 }), TA_WINDOW_FULL);
});

test('keep-alive and keep-alive ACK', () => {
  const c = new Conv();
  c.handshake(0, 100);
  c.send(C, { seq: 1, ack: 101, len: 10 });
  c.send(S, { seq: 101, ack: 11 });
  assert.equal(c.send(C, { seq: 10, ack: 101, dt: 1_000_000 }), TA_KEEP_ALIVE);
  assert.equal(c.send(S, { seq: 101, ack: 11 }), TA_KEEP_ALIVE_ACK);
  assert.equal(c.send(C, { seq: 10, ack: 101, len: 1, dt: 1_000_000 }), TA_KEEP_ALIVE, 'with its garbage byte, not a retransmission');
  assert.equal(c.send(S, { seq: 101, ack: 11 }), TA_KEEP_ALIVE_ACK);
  assert.equal(c.send(S, { seq: 101, ack: 11 }), TA_KEEP_ALIVE_ACK, "judged on the peer's last packet, still the keep-alive");
  assert.equal(c.send(C, { seq: 11, ack: 101, len: 5 }), 0, 'at nextseq: new data');
  assert.equal(c.send(S, { seq: 101, ack: 11 }), TA_DUPLICATE_ACK, 'a repeat without a keep-alive before it');
});

test('reused ports: a new SYN with another ISN after the connection closed', () => {
  const c = new Conv();
  c.handshake(1000, 5000);
  c.send(C, { seq: 1001, ack: 5001, flags: TCP_ACK | TCP_FIN });
  c.send(S, { seq: 5001, ack: 1002, flags: TCP_ACK | TCP_FIN });
  c.send(C, { seq: 1002, ack: 5002 });
  assert.equal(c.send(C, { seq: 90000, flags: TCP_SYN, dt: 1_000_000 }), TA_REUSED_PORTS);
  assert.equal(c.lastStream, 1);
  assert.equal(c.send(S, { seq: 70000, ack: 90001, flags: TCP_SYN | TCP_ACK }), 0);
  const c2 = new Conv();
  c2.send(C, { seq: 1000, flags: TCP_SYN, dt: 0 });
  assert.equal(names(c2.send(C, { seq: 1000, flags: TCP_SYN, dt: 1_000_000 })), 'retransmission', 'same ISN: a SYN retransmission');
});

test('window scaling: both SYNs must offer it; SYN windows are never scaled', () => {
  const c = new Conv();
  c.handshake(0, 100, { cws: 7, sws: 3, cwin: 500, swin: 600 });
  assert.equal(c.a.lastWindowScaled, 500 * 128);
  assert.equal(c.a.lastScaleFactor, 128);
  c.send(S, { seq: 101, ack: 1, win: 600 });
  assert.equal(c.a.lastWindowScaled, 600 * 8);
  c.send(S, { seq: 101, ack: 1, flags: TCP_SYN | TCP_ACK, win: 600, ws: 3 });
  assert.equal(c.a.lastWindowScaled, 600, 'a SYN-ACK window is taken as it is');
  assert.equal(c.a.lastScaleFactor, 0);

  const n = new Conv();
  n.handshake(0, 100, { cws: 7, cwin: 500 }); // the SYN-ACK did not answer: no scaling
  assert.equal(n.a.lastWindowScaled, 500);
  assert.equal(n.a.lastScaleFactor, -2);

  const u = new Conv(); // handshake not captured: scale unknown
  u.send(C, { seq: 50, ack: 60, win: 500, dt: 0 });
  assert.equal(u.a.lastWindowScaled, 500);
  assert.equal(u.a.lastScaleFactor, -1);
});

test('options cut by the snaplen: tshark shows no analysis for the frame, the verdict stays in lastVerdict', () => {
  const c = new Conv();
  c.handshake(0, 100);
  c.send(C, { seq: 1, ack: 101, len: 100 });
  assert.equal(c.send(C, { seq: 201, ack: 101, len: 100, optionsCut: true }), 0);
  assert.equal(c.a.lastVerdict, TA_LOST_SEGMENT);
  assert.equal(c.a.lastBytesInFlight, 0);
  assert.equal(c.a.streamStats(0).lostSegments, 0);
  assert.equal(c.send(C, { seq: 101, ack: 101, len: 100, dt: 1_000_000 }), TA_RETRANSMISSION, 'later verdicts build on it');
});

test('segment length from the wire when the IP length claims more than the frame holds', () => {
  const c = new Conv();
  c.handshake(0, 100);
  // IP says 100 bytes of payload, the frame holds 92 of them: tshark counts 92.
  c.send(C, { seq: 1, ack: 101, len: 100, wireLength: 54 + 92 });
  assert.equal(c.a.lastBytesInFlight, 92);
  assert.equal(c.send(C, { seq: 93, ack: 101, len: 10 }), 0, 'the next segment starts where the wire said');
});

test('unacked segments are capped per direction and freed by ACKs; per-frame flags are kept', () => {
  const c = new Conv({ maxUnackedPerDirection: 10 });
  c.handshake(0, 100);
  for (let i = 0; i < 50; i++) c.send(C, { seq: 1 + i * 10, ack: 101, len: 10 });
  assert.equal(c.a.unackedSegments, 10);
  c.send(S, { seq: 101, ack: 501 });
  assert.equal(c.a.unackedSegments, 0);
  assert.equal(c.a.lastAcksFrame, 0, 'the segment ending at 501 was past the cap');
  c.send(C, { seq: 201, ack: 101, len: 10, dt: 1_000_000 });
  assert.equal(c.a.flagsOfFrame(c.a.frameCount), TA_SPURIOUS_RETRANSMISSION | TA_RETRANSMISSION);
  assert.equal(c.a.flagsOfFrame(4), 0);
  assert.equal(c.a.streamStats(0).maxBytesInFlight, 100);
});

test('out-of-order segments are kept in sequence order so one ACK frees them all', () => {
  const c = new Conv();
  c.handshake(0, 100);
  c.send(C, { seq: 201, ack: 101, len: 100 });
  c.send(C, { seq: 1, ack: 101, len: 100 });
  c.send(C, { seq: 101, ack: 101, len: 100 });
  c.send(C, { seq: 1, ack: 101, len: 300, dt: 1_000_000 }); // repacketised retransmission
  assert.equal(c.a.unackedSegments, 4);
  c.send(S, { seq: 101, ack: 151 });
  assert.equal(c.a.unackedSegments, 3, 'the partly acknowledged segments are trimmed, not dropped');
  c.send(S, { seq: 101, ack: 301 });
  assert.equal(c.a.unackedSegments, 0);
  assert.equal(c.a.lastAcksFrame, 4, 'the oldest segment ending at the ACK');
});

test('state of streams in different pages of the per-direction blocks stays apart', () => {
  // The analyzer keeps direction state in pages of 16384 streams: open enough streams to fill more than one, then
  // run the same conversation on a stream of the first page and one of the second, interleaved packet by packet.
  const c = new Conv();
  const conv = c as unknown as { ports: [number, number] };
  const open = (k: number) => {
    conv.ports = [10000 + (k % 50000), 80 + Math.floor(k / 50000)];
    c.handshake(1000 + k, 5000 + k);
  };
  for (let k = 0; k < 16400; k++) open(k);
  assert.equal(c.lastStream, 16399);
  const streams = [5, 16384, 16390];
  const seen: string[][] = streams.map(() => []);
  const steps: Array<(k: number) => [number, Seg]> = [
    (k) => [C, { seq: 1001 + k, ack: 5001 + k, len: 100 }],
    (k) => [C, { seq: 1101 + k, ack: 5001 + k, len: 100 }],
    (k) => [C, { seq: 1001 + k, ack: 5001 + k, len: 100, dt: 300000 }],
    (k) => [S, { seq: 5001 + k, ack: 1101 + k }],
    (k) => [S, { seq: 5001 + k, ack: 1101 + k }],
    (k) => [S, { seq: 5001 + k, ack: 1201 + k, win: 0 }],
  ];
  for (const step of steps) {
    streams.forEach((k, i) => {
      conv.ports = [10000 + (k % 50000), 80 + Math.floor(k / 50000)];
      const [from, seg] = step(k);
      seen[i]!.push(names(c.send(from, seg)));
      assert.equal(c.lastStream, k);
    });
  }
  const expected = ['', '', 'retransmission', '', 'duplicate_ack', 'zero_window'];
  streams.forEach((k, i) => assert.deepEqual(seen[i], expected, `stream ${k}`));
  assert.equal(c.a.streamStats(16384).retransmissions, 1);
  assert.equal(c.a.streamStats(16399).retransmissions, 0);
});
