import type {
  HostNotificationMap,
  HostToWebview,
  RequestMethod,
  RequestParams,
  RequestResult,
  WebviewNotificationMap,
  WebviewToHost,
} from '../src/protocol/messages';

/**
 * The webview's only door to the extension host, and the only caller of acquireVsCodeApi: the browser tests
 * define that function on the page and answer the same protocol.
 */
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

type Listener<M extends keyof HostNotificationMap> = (params: HostNotificationMap[M]) => void;

export class Host {
  private readonly api: VsCodeApi = acquireVsCodeApi();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();

  constructor() {
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data as HostToWebview));
  }

  request<M extends RequestMethod>(method: M, params: RequestParams<M>): Promise<RequestResult<M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ kind: 'request', id, method, params } as WebviewToHost);
    });
  }

  notify<M extends keyof WebviewNotificationMap>(method: M, params: WebviewNotificationMap[M]): void {
    this.post({ kind: 'notification', method, params } as WebviewToHost);
  }

  on<M extends keyof HostNotificationMap>(method: M, listener: Listener<M>): void {
    let set = this.listeners.get(method);
    if (!set) this.listeners.set(method, (set = new Set()));
    set.add(listener as (p: unknown) => void);
  }

  getState<T>(): T | undefined {
    return (this.api.getState() as T | null) ?? undefined;
  }

  setState<T>(state: T): void {
    this.api.setState(state);
  }

  private post(m: WebviewToHost): void {
    this.api.postMessage(m);
  }

  private receive(m: HostToWebview): void {
    if (!m || typeof m !== 'object') return;
    if (m.kind === 'response') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    } else if (m.kind === 'notification') {
      for (const l of this.listeners.get(m.method) ?? []) l(m.params);
    }
  }
}
