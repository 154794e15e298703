// A pcapng whose every free-text field and payload is markup, script or a remote URL: the one capture the
// injection tests (unit, chromium webview, extension host) all read. Built with the test builder, so its strings
// are known exactly and each test can look for them verbatim.
import { epb, idb, nrb, packet, pb, pcapng, section, utf8Bytes } from './builder';

const T0 = 1_700_000_000;
const C = '10.0.0.1';
const S = '10.0.0.2';

/**
 * Each string tries a different way out of text: an event handler, a script element, closing the style element,
 * a javascript: URL, a remote image, CSS @import, a newline that forges a packet-list line, a terminal escape and a
 * bidi override.
 */
export const HOSTILE = {
  shbHardware: `<img src=x onerror="window.__pwned='shb_hardware'">`,
  shbOs: `</style><script>window.__pwned='shb_os'</script>`,
  shbApp: `javascript:window.__pwned='shb_userappl'`,
  shbComment: `<script>window.__pwned='shb_comment'</script><style>@import url(http://evil.example/x.css);</style>`,
  ifName: `<img src=http://evil.example/if.png onerror="window.__pwned='if_name'">`,
  ifDescription: `<a href="javascript:window.__pwned='if_description'">click</a></style></title>`,
  ifComment: `<iframe src="http://evil.example/frame"></iframe>`,
  nrbName: `<script>window.__pwned='nrb'</script>.example`,
  nrbName2: `javascript:window.__pwned='nrb2'`,
  nrbName6: `<svg onload="window.__pwned='nrb6'">`,
  epbComment: `<img src=http://evil.example/beacon.png onerror="window.__pwned='epb_comment'">`,
  /** Newline plus a forged packet line, ESC colour sequence and a right-to-left override. */
  epbForged: `ok\n        99       0.000000  6.6.6.6:1 -> 7.7.7.7:2  [S] seq=0 ack=0 len=0 win=1  stream 9\u001b[31mred\u202eevil`,
  pbComment: `<body onload="window.__pwned='pb_comment'">`,
  payload: `<script>window.__pwned='payload'</script><img src=http://evil.example/p.png onerror="window.__pwned='payload2'">`,
} as const;

/** What the packet list shows for HOSTILE.epbForged: one line, controls escaped. */
export const EPB_FORGED_ESCAPED = HOSTILE.epbForged.replace('\n', '\\n').replace('\u001b', '\\u{001b}').replace('\u202e', '\\u{202e}');

export function hostileCapture(): Uint8Array {
  const at = (ms: number) => ({ sec: T0, nsec: ms * 1_000_000 });
  const cs = (seq: number, ack: number, flags: string, payload?: Uint8Array) => packet({ src: C, dst: S, sport: 40000, dport: 80, seq, ack, flags, ...(payload ? { payload } : {}) });
  const sc = (seq: number, ack: number, flags: string) => packet({ src: S, dst: C, sport: 80, dport: 40000, seq, ack, flags });
  const payload = utf8Bytes(HOSTILE.payload);
  return pcapng(
    section(
      { hardware: HOSTILE.shbHardware, os: HOSTILE.shbOs, application: HOSTILE.shbApp, comments: [HOSTILE.shbComment] },
      idb({ name: HOSTILE.ifName, description: HOSTILE.ifDescription, comments: [HOSTILE.ifComment], snaplen: 65535 }),
      nrb([
        { ip: S, names: [HOSTILE.nrbName, HOSTILE.nrbName2] },
        { ip: '2001:db8::1', names: [HOSTILE.nrbName6] },
      ]),
      epb({ ...at(0), data: cs(1000, 0, 'S'), comment: HOSTILE.epbComment }),
      epb({ ...at(1), data: sc(5000, 1001, 'SA') }),
      epb({ ...at(2), data: cs(1001, 5001, 'A'), comment: HOSTILE.epbForged }),
      pb({ ...at(3), data: cs(1001, 5001, 'PA', payload), comment: HOSTILE.pbComment }),
      epb({ ...at(4), data: sc(5001, 1001 + payload.length, 'A') }),
    ),
  );
}
