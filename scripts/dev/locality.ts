import { analyzeCapture, type TcpPacketObserver } from '../../src/core/analyzeCapture';
import { openFileSource } from '../../src/node/fileSource';

// How far back in stream numbers a capture's packets reach: for each TCP packet, the distance between its stream
// and the newest stream so far, as a cumulative share by power of two. This is what sizes the flow table's cache
// of recent tuples (ARCHITECTURE.md, Flow table):  node out/scripts/dev/locality.js <capture>
const hist = new Float64Array(33);
let newest = 0;
const observer: TcpPacketObserver = {
  onTcpPacket(_rec, _d, stream) {
    if (stream > newest) newest = stream;
    const back = newest - stream;
    hist[back === 0 ? 0 : 32 - Math.clz32(back)]!++;
  },
};
const source = openFileSource(process.argv[2]!);
try {
  analyzeCapture(source, { observers: [observer] });
} finally {
  source.close();
}
const total = hist.reduce((a, b) => a + b, 0);
let sum = 0;
hist.forEach((n, i) => {
  sum += n;
  if (n > 0) console.log(`within ${i === 0 ? 'the newest stream' : `${2 ** i - 1} streams of the newest`}: ${((100 * sum) / total).toFixed(2)}%`);
});
