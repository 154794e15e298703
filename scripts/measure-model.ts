// Times the flows table's queries on a big capture, as the analysis worker answers them (CaptureModel), so the
// cost of the first sort, a re-sort and the filters on a million flows is a number, not a guess.
//
//   node out/scripts/measure-model.js [capture]   (default: the bench's 1 M-flow capture, made by
//   node out/scripts/bench.js --only flows --scale 1 --passes flows --no-tools)
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CaptureModel } from '../src/extension/captureModel';
import type { FlowSort, FlowsWhere } from '../src/protocol/messages';

const file = process.argv[2] ?? '/tmp/tcpscope-bench/flows-g6-x1.pcap';
if (!existsSync(file)) {
  console.error(`no capture at ${file}`);
  process.exit(2);
}

function time<T>(label: string, f: () => T): T {
  const t = performance.now();
  const v = f();
  console.log(`${label.padEnd(58)} ${(performance.now() - t).toFixed(0).padStart(7)} ms`);
  return v;
}

const byStream: FlowSort = { column: 'stream', descending: false };
const model = time('analysis (CaptureModel constructor)', () => new CaptureModel(file, 100000));
const flows = model.analysis.flows.count;
console.log(`${flows} flows, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
time('first page, stream order (builds the typed columns)', () => model.flows(0, 200, byStream, ''));
time('facets (state, conn_state, finding counts, top endpoints)', () => model.flowFacets());
for (const column of ['packets', 'clientState', 'client', 'rttMs', 'history'] as const) {
  time(`first sort by ${column}`, () => model.flows(0, 200, { column, descending: false }, ''));
  time(`  same column descending`, () => model.flows(0, 200, { column, descending: true }, ''));
}
time('sort by packets again (cached order)', () => model.flows(500_000, 200, { column: 'packets', descending: false }, ''));
const sortByPackets: FlowSort = { column: 'packets', descending: true };
for (const needle of ['10.1.', ':443', '1.2:5', '2001:db8']) {
  const page = time(`text filter "${needle}", sorted by packets`, () => model.flows(0, 200, sortByPackets, needle));
  console.log(`  -> ${page.total} flows`);
}
const page = time('text filter with a space ("1 10.") (builds strings)', () => model.flows(0, 200, byStream, '1 10.'));
console.log(`  -> ${page.total} flows`);
const facets = model.flowFacets();
const wheres: FlowsWhere[] = [
  { serverState: facets.serverState[1]?.value ?? 'CLOSED' },
  { connState: 'REJ' },
  { endpoint: facets.endpoint[0]?.value ?? '10.0.0.1' },
  { connState: 'SF', clientState: 'TIME_WAIT' },
];
for (const where of wheres) {
  const p = time(`where ${JSON.stringify(where)}, sorted by packets`, () => model.flows(0, 200, sortByPackets, '', where));
  console.log(`  -> ${p.total} flows`);
}
const last = model.flows(0, 1, sortByPackets, '', wheres[0]).rows[0];
if (last) time('locate a stream in that view', () => model.locateFlow(last.stream, sortByPackets, '', wheres[0]));
console.log(`heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
