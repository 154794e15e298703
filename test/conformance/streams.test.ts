import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/core/analyzeCapture';
import { openFileSource } from '../../src/node/fileSource';
import { listCaptures, readTruth, readTruthFrames, sharedCapturesDir } from '../support/shared';

/**
 * Frame-by-frame agreement with tshark on the shared corpus: packet count, number of tcp.stream values, and the
 * stream of every frame. Prints a per-file table of whatever differs.
 */
const dir = sharedCapturesDir();

test('conformance: packets and tcp.stream against tshark truth', { skip: dir ? false : 'no ../shared/captures here (set TCPSCOPE_CAPTURES to run)' }, () => {
  const rows: string[] = [];
  let checkedFrames = 0;
  let files = 0;
  for (const capture of listCaptures(dir!)) {
    const truth = readTruth(dir!, capture);
    const frames = readTruthFrames(dir!, capture);
    if (!truth || !frames) continue;
    files++;
    const src = openFileSource(join(dir!, capture));
    const a = analyzeCapture(src, { keepPacketIndex: true });
    src.close();
    const problems: string[] = [];
    if (a.facts.packets !== truth.packets) problems.push(`packets ${a.facts.packets} != ${truth.packets}`);
    if (a.flows.count !== truth.tcp_streams_tshark) problems.push(`streams ${a.flows.count} != ${truth.tcp_streams_tshark}`);
    let wrong = 0;
    let firstWrong = '';
    for (const f of frames) {
      const n = Number(f['frame.number']);
      const expected = f['tcp.stream'] === '' ? -1 : Number(f['tcp.stream']);
      const ours = n - 1 < a.packetIndex!.count ? a.packetIndex!.stream[n - 1]! : -2;
      checkedFrames++;
      if (ours !== expected) {
        if (!wrong) firstWrong = `frame ${n}: ours ${ours}, tshark ${expected}`;
        wrong++;
      }
    }
    if (wrong) problems.push(`${wrong} frames in another stream (first: ${firstWrong})`);
    if (problems.length) rows.push(`${capture.padEnd(58)} ${problems.join('; ')}`);
  }
  console.log(`conformance: ${files} captures, ${checkedFrames} frames checked, ${rows.length} files differ`);
  if (rows.length) console.log(rows.join('\n'));
  assert.equal(rows.length, 0, `captures differing from tshark:\n${rows.join('\n')}`);
});
