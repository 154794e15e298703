/**
 * Writes media/sample.pcapng, the capture the extension and CLI open as a demo, from the test fixture builder.
 * Deterministic: the same bytes every run (no clocks, no randomness), so the file can be committed and diffed.
 *
 * The story, seen from the client 10.0.0.1 (capture point at the client, RTT about 24 ms to 10.0.0.2 and about
 * 31 ms to 2001:db8::2):
 *   1. SYN to 10.0.0.2:8080 refused (RST/ACK): the service is still starting.
 *   2. A clean request/response, closed gracefully by the server first.
 *   3. A download where one segment is lost: SACKed duplicate ACKs, fast retransmission, recovery.
 *   4. A download that stalls on a zero window (the client app stops reading), probes, then a window update.
 *   5. Two connections the server never closes: the client's FIN is ACKed, no FIN comes back (CLOSE_WAIT).
 *   6. An IPv6 TLS-like exchange to [2001:db8::2]:443 with a graceful close.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { byTime, epb, idb, isb, nrb, pcapng, section, tcpConversation, type ConversationOptions, type Rec, ACK, PSH } from '../test/support/builder';

const T0 = 1_715_679_000; // 2024-05-14 09:30:00 UTC
const CLIENT = '10.0.0.1';
const SERVER = '10.0.0.2';
const CLIENT_MAC = '52:54:00:12:34:01';
const GW_MAC = '52:54:00:12:34:fe';
const RTT4 = 0.0238;
const RTT6 = 0.0312;
const MSS = 1448; // 1460 minus the timestamp option

/** T0 + offset seconds, exact to the nanosecond. */
function since(offset: number): { sec: number; nsec: number } {
  const whole = Math.floor(offset);
  return { sec: T0 + whole, nsec: Math.round((offset - whole) * 1e9) };
}

function conv(port: number, start: number, extra: Partial<ConversationOptions> = {}) {
  return tcpConversation({
    client: { ip: CLIENT, port, mac: CLIENT_MAC },
    server: { ip: SERVER, port: 8080, mac: GW_MAC },
    start: since(start),
    rtt: RTT4,
    clientIsn: (port * 2654435761) >>> 0,
    serverIsn: (port * 40503 * 65599) >>> 0,
    mss: MSS,
    wscale: 7,
    sack: true,
    timestamps: true,
    clientWin: 502,
    serverWin: 509,
    ...extra,
  });
}

/** An HTTP/1.1 message of exactly `size` bytes (headers, then a printable body), so Wireshark's HTTP dissector is happy. */
function http(startLine: string, headers: string[], size: number): Uint8Array {
  const head = (bodyLen: number) => `${startLine}\r\n${[...headers, ...(bodyLen ? [`Content-Length: ${bodyLen}`] : [])].join('\r\n')}\r\n\r\n`;
  let bodyLen = Math.max(0, size - head(0).length - 22);
  while (head(bodyLen).length + bodyLen > size && bodyLen > 0) bodyLen--;
  while (head(bodyLen).length + bodyLen < size) bodyLen++;
  const text = head(bodyLen);
  const body = Array.from({ length: bodyLen }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789\n'[i % 37]).join('');
  return new TextEncoder().encode(text + body);
}
const get = (path: string, size: number) => http(`GET ${path} HTTP/1.1`, ['Host: api.internal.example:8080', 'User-Agent: curl/8.5.0', 'Accept: */*'], size);
const ok = (size: number) => http('HTTP/1.1 200 OK', ['Content-Type: text/plain', 'Server: demo'], size);

const all: Rec[][] = [];

// 1. Refused: nothing listens on 8080 yet.
all.push(conv(50100, 0.0).refused().records);

// 2. Clean request/response; the server closes first (HTTP/1.0 style), the client follows.
{
  const c = conv(50101, 1.2034);
  c.handshake().wait(0.0004);
  c.segment('client', { flags: PSH | ACK, payload: get('/api/v1/status', 182) }).wait(RTT4 / 2);
  c.ack('server').wait(0.0031);
  c.send('server', ok(2311), { gap: 0.00009 }).wait(0.00004);
  c.ack('client').wait(0.0002);
  c.close('server');
  all.push(c.records);
}

// 3. Download through a 10 Mbit/s bottleneck (a full segment every 1.2 ms) where segment 4 of 28 is lost: the
//    client answers every later segment with a SACKed duplicate ACK until the fast retransmission arrives, about
//    one RTT after the third duplicate ACK.
{
  const c = conv(50102, 2.5117);
  c.handshake().wait(0.0003);
  c.segment('client', { flags: PSH | ACK, payload: get('/download/report.csv', 164) }).wait(RTT4 / 2);
  c.ack('server').wait(0.0042);
  const segs = 28;
  const lost = 3;
  const gap = 0.0012;
  let lostSeq = 0;
  let dupacks = 0;
  let retransmitAt = Infinity;
  let elapsed = 0;
  const body = ok(segs * MSS);
  const part = (i: number) => body.subarray(i * MSS, (i + 1) * MSS);
  for (let i = 0; i < segs; i++) {
    if (i === lost) lostSeq = c.nextSeq('server');
    c.segment('server', { flags: i === segs - 1 ? PSH | ACK : ACK, payload: part(i), lost: i === lost });
    c.wait(0.00003);
    const hole = c.rcvNext('client') === lostSeq && i > lost;
    // Delayed ACK every second in-order segment; every segment beyond the hole is answered at once.
    if (hole || i % 2 === 1 || i === segs - 1) {
      c.ack('client');
      if (hole && ++dupacks === 3) retransmitAt = elapsed + RTT4;
    }
    c.wait(gap - 0.00003);
    elapsed += gap;
    if (elapsed >= retransmitAt) {
      retransmitAt = Infinity;
      c.segment('server', { flags: ACK, seq: lostSeq, payload: part(lost), advance: false });
      c.wait(0.00003).ack('client');
    }
  }
  c.wait(0.0009).segment('client', { flags: PSH | ACK, payload: get('/ack', 90) }).wait(RTT4 / 2).ack('server');
  c.wait(0.5).close('client');
  all.push(c.records);
}

// 4. Zero-window stall: the client application stops reading; its receive window shrinks to nothing.
{
  const c = conv(50103, 4.0021);
  c.handshake().wait(0.0004);
  c.segment('client', { flags: PSH | ACK, payload: get('/export/all', 171) }).wait(RTT4 / 2);
  c.ack('server').wait(0.0025);
  const windows = [380, 250, 120, 0];
  const body = ok(11 * MSS);
  let sent = 0;
  const next = (n: number) => body.subarray(sent, (sent += n));
  for (const w of windows) {
    c.send('server', next(2 * MSS), { gap: 0.00012 }).wait(0.00004);
    c.setWindow('client', w).ack('client').wait(RTT4);
  }
  // The server probes the closed window with exponential back-off; the client keeps saying zero.
  for (const backoff of [0.2, 0.4, 0.8]) {
    c.wait(backoff);
    c.segment('server', { flags: ACK, payload: body.subarray(sent, sent + 1), rejected: true, advance: false });
    c.wait(RTT4).ack('client');
  }
  // The application reads again: window update, and the transfer resumes.
  c.wait(0.35).setWindow('client', 502).ack('client').wait(RTT4 / 2);
  c.send('server', next(3 * MSS), { gap: 0.00012 }).wait(0.00004).ack('client');
  c.wait(0.2).close('client');
  all.push(c.records);
}

// 5. Two connections the server never closes: the client's FIN is acknowledged, the server's FIN never comes.
for (const [port, start] of [
  [50104, 6.3308],
  [50105, 6.9114],
] as const) {
  const c = conv(port, start);
  c.handshake().wait(0.0003);
  c.segment('client', { flags: PSH | ACK, payload: get('/events', 120) }).wait(RTT4 / 2);
  c.ack('server').wait(0.0012);
  c.segment('server', { flags: PSH | ACK, payload: ok(96) }).wait(0.00005);
  c.ack('client').wait(0.0019);
  c.fin('client').wait(RTT4);
  c.ack('server');
  all.push(c.records);
}

// 6. IPv6: TLS-like exchange, client closes.
{
  const c = tcpConversation({
    client: { ip: '2001:db8::1', port: 50106, mac: CLIENT_MAC },
    server: { ip: '2001:db8::2', port: 443, mac: GW_MAC },
    start: since(7.4402),
    rtt: RTT6,
    clientIsn: 0x3c1d0a77,
    serverIsn: 0x9e44b201,
    mss: 1428,
    wscale: 7,
    sack: true,
    timestamps: true,
    clientWin: 502,
    serverWin: 509,
  });
  c.handshake().wait(0.0005);
  c.segment('client', { flags: PSH | ACK, len: 517 }).wait(RTT6 / 2); // ClientHello
  c.ack('server').wait(0.0021);
  c.send('server', 4012, { gap: 0.0001 }).wait(0.00004); // ServerHello .. Finished
  c.ack('client').wait(0.0015);
  c.segment('client', { flags: PSH | ACK, len: 80 }).wait(0.0001); // Finished
  c.segment('client', { flags: PSH | ACK, len: 412 }).wait(RTT6); // request
  c.send('server', 1871).wait(0.00004);
  c.ack('client').wait(1.1);
  c.close('client');
  all.push(c.records);
}

const records = byTime(...all);
const lastSec = records.at(-1)!.sec ?? T0;
const file = pcapng(
  section(
    { hardware: 'x86_64', os: 'Linux 6.8.0', application: 'tcpscope make-sample' },
    idb({ linkType: 1, snaplen: 262144, name: 'eth0', description: 'client uplink', tsresol: { base: 10, exponent: 9 }, os: 'Linux 6.8.0' }),
    nrb([
      { ip: SERVER, names: ['api.internal.example'] },
      { ip: '2001:db8::2', names: ['tls.example'] },
    ]),
    ...records.map((r) => epb({ ...r, iface: 0 })),
    isb({ iface: 0, sec: lastSec + 1, received: records.length, ifdrop: 0, osdrop: 0, delivered: records.length }),
  ),
);

const out = resolve(process.argv[2] ?? 'media/sample.pcapng');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, file);
console.log(`wrote ${out}: ${records.length} packets, ${file.length} bytes`);
