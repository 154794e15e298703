// The analysis thread of one capture. It parses the file once, keeps the flow table and the packet window, and then
// answers paged queries until the host terminates it (document closed, re-analysis, or cancel: terminating is the
// cancel, so the parse loop needs no cancellation checks).
import { parentPort, workerData } from 'node:worker_threads';
import { CaptureModel, type PacketListText } from './captureModel';
import type { FromWorker, ToWorker, WorkerInput } from './workerProtocol';

const port = parentPort!;
const input = workerData as WorkerInput;
const post = (m: FromWorker) => port.postMessage(m);

let model: CaptureModel | null = null;
try {
  let lastPost = 0;
  model = new CaptureModel(
    input.path,
    input.packetLimit,
    (p) => {
      const now = Date.now();
      if (now - lastPost >= 100) {
        lastPost = now;
        post({ type: 'progress', ...p });
      }
    },
    input.diagnostics,
  );
  const unusable = model.unusableReason;
  if (unusable) {
    post({ type: 'unusable', reason: unusable });
    model = null;
  } else {
    post({ type: 'done', overview: model.overview() });
  }
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  post({ type: err.code ? 'unusable' : 'failed', reason: err.code === 'EACCES' ? 'permission denied' : String(err.message ?? e) });
}

port.on('message', (msg: ToWorker) => {
  try {
    if (!model) throw new Error('the capture was not analysed');
    let result: unknown;
    switch (msg.method) {
      case 'flows':
        result = model.flows(msg.params.offset, msg.params.count, msg.params.sort, msg.params.filter, msg.params.where);
        break;
      case 'locateFlow':
        result = model.locateFlow(msg.params.stream, msg.params.sort, msg.params.filter, msg.params.where);
        break;
      case 'flowFacets':
        result = model.flowFacets();
        break;
      case 'findings':
        result = model.findings();
        break;
      case 'packets':
        result = model.packets(msg.params.stream, msg.params.offset, msg.params.count);
        break;
      case 'packetList':
        result = model.packetListText(msg.params.stream, msg.params.timeFormat);
        if (msg.params.withText === false) result = { ...(result as PacketListText), text: '' };
        break;
      case 'exportFlows':
        model.exportFlows(msg.params.format, msg.params.target);
        result = null;
        break;
      case 'flowDetail':
        result = model.details.detail(msg.params.stream);
        break;
      case 'ladder':
        result = model.details.ladder(msg.params.stream, msg.params.offset, msg.params.count);
        break;
      case 'timeline':
        result = model.details.timeline(msg.params.offset, msg.params.count);
        break;
      case 'timelineLocate':
        result = model.details.locateTime(msg.params.seconds);
        break;
      case 'timelineIndexOf':
        result = model.details.timelineIndexOf(msg.params.stream);
        break;
      case 'timelineSummary':
        result = model.details.summary(msg.params.bins);
        break;
      default:
        throw new Error(`unknown request ${(msg as { method: string }).method}`);
    }
    post({ type: 'response', id: msg.id, ok: true, result });
  } catch (e) {
    post({ type: 'response', id: msg.id, ok: false, error: String((e as Error).message ?? e) });
  }
});
