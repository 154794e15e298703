import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { join, resolve } from 'node:path';
import { analyzeCapture } from '../../src/core/analyzeCapture';
import { HandshakeTracker } from '../../src/core/analysis/handshake';
import { CaptureSideCollector } from '../../src/core/diagnostics/captureSide';
import { HandshakeRules, type RuleFindings } from '../../src/core/diagnostics/rules';
import { grow, typedArray } from '../../src/core/util/typed';
import { nsOffsets, setOffset } from '../../src/core/util/nsOffsets';
import { analyzeFile, ReaderRules } from '../../src/node/parallel';
import { openFileSource } from '../../src/node/fileSource';
import { C_RULES, CONTROL_BYTES, RulesState, controlViews } from '../../src/node/segmentRing';
import { listCaptures, sharedCapturesDir } from '../support/shared';

// The reader thread of a parallel pass keeps its trackers in shared memory, so that it can run the handshake rules
// on them while the analysis thread reads the same arrays for the other rules.

function sharedViews(o: object, except: readonly string[] = []): { shared: string[]; plain: string[] } {
  const shared: string[] = [];
  const plain: string[] = [];
  const visit = (x: object, path: string): void => {
    for (const [k, v] of Object.entries(x)) {
      if (ArrayBuffer.isView(v)) (v.buffer instanceof SharedArrayBuffer ? shared : plain).push(path + k);
      else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) visit(v as object, `${path}${k}.`);
    }
  };
  visit(o, '');
  return { shared, plain: plain.filter((k) => !except.includes(k)) };
}

test('typedArray and grow: shared memory stays shared, plain stays plain, contents are kept', () => {
  const a = typedArray(Float64Array, 4, true);
  a.set([1, 2, 3, 4]);
  const b = grow(a, 8);
  assert.ok(b.buffer instanceof SharedArrayBuffer);
  assert.deepEqual([...b], [1, 2, 3, 4, 0, 0, 0, 0]);
  assert.ok(grow(typedArray(Uint8Array, 2), 4).buffer instanceof ArrayBuffer);
  // An offset store widens into arrays of its own kind.
  const o = nsOffsets(4, true);
  setOffset(o, 1, 2 ** 33);
  assert.ok(o.hi!.buffer instanceof SharedArrayBuffer);
  setOffset(o, 2, 2 ** 50);
  assert.ok(o.wide!.buffer instanceof SharedArrayBuffer);
});

test('the reader side of a pass in shared memory: every per-stream array is shared after growth', () => {
  const handshakes = new HandshakeTracker(4, { shared: true });
  const captureSide = new CaptureSideCollector({ shared: true });
  const source = openFileSource(resolve('media/sample.pcapng'));
  try {
    const capture = analyzeCapture(source, { observers: [captureSide, handshakes], sharedFlows: true });
    assert.ok(capture.flows.count > 4, 'the handshake tracker grew');
    assert.deepEqual(sharedViews(capture.flows, ['recent', 'recent4']).plain, []);
    assert.deepEqual(sharedViews(handshakes).plain, []);
    // The duplicate check's table of recent packets is the collector's own scratch space.
    assert.deepEqual(sharedViews(captureSide, ['recentU32', 'recentF64']).plain, []);
  } finally {
    source.close();
  }
});

const dir = sharedCapturesDir();
const files = [resolve('media/sample.pcapng'), ...(dir ? listCaptures(dir).map((f) => join(dir, f)) : [])];

test('the reader thread runs the handshake rules, and the findings are those of one thread', () => {
  let withFindings = 0;
  for (const file of files) {
    const one = analyzeFile(file, { parallel: false });
    const two = analyzeFile(file);
    const here = analyzeFile(file, { rulesBesideReader: false });
    assert.equal(two.rulesBesideReader, true, file);
    assert.equal(here.rulesBesideReader, false, file);
    assert.deepEqual(two.findings, one.findings, file);
    assert.deepEqual(here.findings, one.findings, file);
    if (one.findings.length > 0) withFindings++;
  }
  assert.ok(withFindings >= 1);
});

test('when the reader thread fails its share of the rules, the analysis thread runs them itself', () => {
  // A flood (explain finds it) and refused connections (the rest finds them), so both parts are checked with findings.
  const captures = dir ? ['gen_syn_flood_nocookies.pcap', 'gen_rst_closed_port.pcap'].map((f) => join(dir, f)) : [resolve('media/sample.pcapng')];
  let explainFound = 0;
  let restFound = 0;
  for (const file of captures) {
    const full = analyzeFile(file, { parallel: false });
    const refused = full.states.refusedStreams(full.capture.flows.count);
    const input = { analysis: full.capture, handshakes: full.handshakes, captureSide: full.captureSide };
    const expected = new HandshakeRules(input);
    const explained = expected.explain(refused);
    const rest: RuleFindings = expected.rest();
    explainFound += Object.values(explained.findings).flat().length;
    restFound += Object.values(rest).flat().length;
    // A reader that reported failure (and posted nothing usable), once before its first part and once after it.
    for (const failAfterExplain of [false, true]) {
      const { port1, port2 } = new MessageChannel();
      const { ints } = controlViews(new SharedArrayBuffer(CONTROL_BYTES));
      const rules = new ReaderRules(port1, ints, input, {});
      rules.start(refused);
      if (failAfterExplain) port2.postMessage({ explain: explained });
      port2.postMessage({ error: 'the reader failed' });
      Atomics.store(ints, C_RULES, RulesState.Failed);
      assert.deepEqual(rules.explain(), explained, file);
      assert.deepEqual(rules.rest(), rest, file);
      assert.equal(rules.fromReader, failAfterExplain ? 1 : 0);
      port1.close();
      port2.close();
    }
  }
  if (dir) assert.ok(explainFound > 0 && restFound > 0, 'the captures have findings of both parts');
});
