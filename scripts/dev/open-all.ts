import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CaptureModel } from '../../src/extension/captureModel';

// Every capture in a folder through the extension's model and every query the panel makes: what a person
// opening each one in VS Code would trigger. Prints one line per capture; exits 1 on the first exception.
const dir = process.argv[2]!;
let n = 0;
for (const f of readdirSync(dir).filter((x) => /\.(pcap|pcapng|cap)$/.test(x)).sort()) {
  const m = new CaptureModel(join(dir, f), 100000);
  if (m.unusableReason) {
    console.log(`${f}: unusable: ${m.unusableReason}`);
    continue;
  }
  const o = m.overview();
  const page = m.flows(0, 50, { column: 'stream', descending: false }, '');
  m.flowFacets();
  const findings = m.findings();
  for (const r of page.rows.slice(0, 5)) {
    m.details.detail(r.stream);
    m.packets(r.stream, 0, 50);
    m.packetListText(r.stream, 'relative');
  }
  m.details.timeline(0, 100);
  m.details.summary(200);
  for (const fmt of ['csv', 'json', 'zeek'] as const) m.exportFlows(fmt, join(tmpdir(), `open-all.${fmt}`));
  console.log(`${f}: ${o.packets} packets, ${o.flows} flows, ${findings.total} findings`);
  n++;
}
console.log(`${n} captures opened`);
