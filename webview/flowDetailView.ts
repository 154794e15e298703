import type { FlowDetail, RequestMethod, RequestParams, RequestResult } from '../src/protocol/messages';
import { clear, el } from './dom';
import { Ladder } from './ladder';
import { stateTimelines } from './stateTimeline';
import { durationText } from './svg';

export type Requester = <M extends RequestMethod>(method: M, params: RequestParams<M>) => Promise<RequestResult<M>>;

/**
 * The flow detail above the packets grid: a one-line story (handshake timing, Zeek state), the ladder diagram and,
 * beside it, both endpoints' state timelines. Fetched with flow/detail when the selected flow changes; a reply for a
 * flow the user already left is dropped.
 */
export class FlowDetailView {
  readonly element: HTMLElement;
  readonly ladder: Ladder;
  private readonly summary: HTMLElement;
  private readonly states: HTMLElement;
  private stream = -1;
  private generation = 0;
  /** A frame to mark once the ladder of its flow is drawn (the packet list moved before the detail arrived). */
  private pendingFrame = 0;

  constructor(
    private readonly request: Requester,
    private readonly onError: (e: unknown) => void,
  ) {
    this.ladder = new Ladder({
      loadPage: (stream, offset, count) => request('flow/ladder', { stream, offset, count }),
      reveal: (stream, frameNumber) => void request('flow/reveal', { stream, frameNumber }).catch(onError),
      onError,
    });
    this.summary = el('p', { className: 'flow-detail-summary', 'aria-live': 'polite' });
    this.states = el('div', { className: 'state-holder' });
    this.element = el('div', { className: 'flow-detail-view', 'aria-label': 'Flow ladder and endpoint states', role: 'region' }, this.summary, this.ladder.element, this.states);
    this.element.hidden = true;
  }

  get shownStream(): number {
    return this.stream;
  }

  /** Follows the packet list's cursor: marks the frame's arrow in the ladder of the flow shown (or about to be). */
  highlightFrame(stream: number, frameNumber: number): void {
    if (stream !== this.stream) return;
    if (!this.ladder.highlight(frameNumber)) this.pendingFrame = frameNumber;
  }

  async show(stream: number, force = false): Promise<void> {
    if (stream === this.stream && !force) return;
    this.stream = stream;
    this.pendingFrame = 0;
    const gen = ++this.generation;
    this.summary.textContent = 'Loading the ladder…';
    this.element.hidden = false;
    try {
      const d = await this.request('flow/detail', { stream });
      if (gen !== this.generation) return;
      this.render(d);
    } catch (e) {
      if (gen !== this.generation) return;
      this.summary.textContent = '';
      this.onError(e);
    }
  }

  reset(): void {
    this.generation++;
    this.stream = -1;
    this.ladder.clear();
    clear(this.states);
    clear(this.summary);
    this.element.hidden = true;
  }

  private render(d: FlowDetail): void {
    clear(this.summary);
    const part = (text: string) => this.summary.append(el('span', { textContent: text }));
    part(`${d.total} packets over ${durationText(d.durationSeconds)}`);
    const h = d.handshake;
    if (h) {
      const legs = [`SYN #${h.synFrame}`];
      if (h.synAckFrame !== undefined) legs.push(`SYN-ACK #${h.synAckFrame}${h.synToSynAckMs !== undefined ? ` (+${durationText(h.synToSynAckMs / 1000)})` : ''}`);
      if (h.ackFrame !== undefined) legs.push(`ACK #${h.ackFrame}${h.synAckToAckMs !== undefined ? ` (+${durationText(h.synAckToAckMs / 1000)})` : ''}`);
      part(`handshake ${legs.join(' → ')}`);
      if (h.connectMs !== undefined) part(`connect took ${durationText(h.connectMs / 1000)}`);
      if (h.synRetries) part(`${h.synRetries} SYN ${h.synRetries === 1 ? 'retry' : 'retries'}`);
      if (h.synAckRetries) part(`${h.synAckRetries} SYN-ACK ${h.synAckRetries === 1 ? 'retry' : 'retries'}`);
    } else {
      part('no handshake captured');
    }
    part(`Zeek ${d.connState} ${d.history}`);
    this.ladder.show(d);
    if (this.pendingFrame) this.ladder.highlight(this.pendingFrame);
    this.pendingFrame = 0;
    clear(this.states);
    this.states.append(stateTimelines(d));
  }
}
