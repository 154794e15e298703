// Captures the extension tests open, written from scratch with the test builder: small, exact, and with one
// problem of each kind the panel and the Problems view must show.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCapture } from '../../scripts/bench/generate';
import { encapsulate, ipv4, packet, pcap, tcpSegment, truncate, type Rec } from '../support/builder';

export const T0 = 1_700_000_000;
const C = '10.0.0.1';
const S = '10.0.0.2';

/** Two flows, a malformed packet of flow 0 (frame 5: TCP data offset 4) and a file cut inside its last record (frame 12). */
export function problemCapture(): Uint8Array {
  const a = (sec: number, data: Uint8Array): Rec => ({ data, sec: T0, nsec: Math.round(sec * 1e9) });
  const cs = (seq: number, ack: number, flags: string, payloadLen = 0) => packet({ src: C, dst: S, sport: 40000, dport: 80, seq, ack, flags, payloadLen });
  const sc = (seq: number, ack: number, flags: string, payloadLen = 0) => packet({ src: S, dst: C, sport: 80, dport: 40000, seq, ack, flags, payloadLen });
  const records: Rec[] = [
    a(0.0, cs(1000, 0, 'S')),
    a(0.001, sc(5000, 1001, 'SA')),
    a(0.002, cs(1001, 5001, 'A')),
    a(0.003, cs(1001, 5001, 'PA', 10)),
    a(0.004, encapsulate({ type: 'ether' }, ipv4({ src: C, dst: S }, tcpSegment({ sport: 40000, dport: 80, seq: 1011, ack: 5001, dataOffsetWords: 4 })))),
    a(0.005, sc(5001, 1011, 'A')),
    a(0.006, cs(1011, 5001, 'FA')),
    a(0.007, sc(5001, 1012, 'FA')),
    a(0.008, cs(1012, 5002, 'A')),
    a(0.1, packet({ src: C, dst: '10.0.0.3', sport: 40001, dport: 443, seq: 7000, flags: 'S' })),
    a(0.101, packet({ src: '10.0.0.3', dst: C, sport: 443, dport: 40001, seq: 0, ack: 7001, flags: 'RA' })),
    a(0.2, cs(1012, 5002, 'PA', 200)),
  ];
  const file = pcap(records);
  return truncate(file, file.length - 100);
}

/** Not a capture at all. */
export function notACapture(): Uint8Array {
  return new TextEncoder().encode('this is a text file with a capture extension\n');
}

/** `flows` TCP handshakes (SYN, SYN-ACK, ACK), one per client port: a capture whose flow count says which version it is. */
export function handshakes(flows: number): Uint8Array {
  const records: Rec[] = [];
  for (let i = 0; i < flows; i++) {
    const sport = 41000 + i;
    records.push({ data: packet({ src: C, dst: S, sport, dport: 443, seq: 100, flags: 'S' }), sec: T0 + i });
    records.push({ data: packet({ src: S, dst: C, sport: 443, dport: sport, seq: 900, ack: 101, flags: 'SA' }), sec: T0 + i, nsec: 1000 });
    records.push({ data: packet({ src: C, dst: S, sport, dport: 443, seq: 101, ack: 901, flags: 'A' }), sec: T0 + i, nsec: 2000 });
  }
  return pcap(records);
}

/**
 * A capture large enough that its analysis takes seconds (the bench generator's `flows` kind at `scale`: about
 * 350 MB and 1 M packets at 0.1), written as `<dir>/large.pcap` with what was generated in `<dir>/large.json`.
 */
export function writeLargeCapture(dir: string, scale: number): void {
  const { path, meta } = ensureCapture(dir, 'flows', scale, true);
  renameSync(path, join(dir, 'large.pcap'));
  rmSync(`${path}.json`, { force: true });
  writeFileSync(join(dir, 'large.json'), JSON.stringify(meta));
}
