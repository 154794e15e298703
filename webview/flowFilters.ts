import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { FlowFacets, FlowsWhere, ValueCount } from '../src/protocol/messages';
import { clear, el } from './dom';

export type WhereKey = keyof FlowsWhere;

interface SelectElement extends HTMLElement {
  value: string;
  combobox: boolean;
  creatable: boolean;
  filter: string;
  label: string;
}

const FILTERS: { key: WhereKey; label: string; any: string }[] = [
  { key: 'endpoint', label: 'Endpoint', any: 'Any endpoint' },
  { key: 'clientState', label: 'Client state', any: 'Any client state' },
  { key: 'serverState', label: 'Server state', any: 'Any server state' },
  { key: 'connState', label: 'conn_state', any: 'Any conn_state' },
  { key: 'finding', label: 'Finding', any: 'Any finding' },
];

/**
 * The exact-value filters of the flows table: one dropdown per condition, offering the values the capture really
 * has with their flow counts (flows/facets). The endpoint dropdown also takes a typed address or ip:port.
 * Option labels are set as text: endpoint values and finding codes come from the capture.
 */
export class FlowFilters {
  readonly element: HTMLElement;
  private readonly selects = new Map<WhereKey, SelectElement>();
  private readonly clearButton: HTMLElement;
  private facets: FlowFacets | null = null;
  private current: FlowsWhere = {};

  constructor(private readonly onChange: (where: FlowsWhere) => void) {
    this.element = el('div', { className: 'flow-filters', role: 'group', 'aria-label': 'Flow filters' });
    for (const f of FILTERS) {
      const select = el('vscode-single-select', { id: `filter-${f.key}`, 'aria-label': `Filter flows by ${f.label}` }) as unknown as SelectElement;
      select.label = `Filter flows by ${f.label}`;
      if (f.key === 'endpoint') {
        select.combobox = true;
        select.creatable = true;
        select.filter = 'contains';
        // Enter on a typed address applies it, without first picking the component's "Add …" entry.
        select.addEventListener('keydown', (e) => {
          if (e.key !== 'Enter') return;
          const typed = (select.shadowRoot?.querySelector('input') as HTMLInputElement | null)?.value.trim() ?? '';
          setTimeout(() => {
            if (typed && looksLikeEndpoint(typed) && select.value !== typed && this.current.endpoint !== typed) this.set({ ...this.current, endpoint: typed }, true);
          }, 0);
        });
      }
      select.addEventListener('change', () => {
        const v = select.value;
        const next = { ...this.current };
        if (v) next[f.key] = v;
        else delete next[f.key];
        this.set(next, true);
      });
      this.selects.set(f.key, select);
      this.element.append(el('label', { className: 'filter' }, el('span', { className: 'filter-label', textContent: f.label }), select as unknown as HTMLElement));
    }
    this.clearButton = el('vscode-button', { secondary: '', textContent: 'Clear filters', id: 'filter-clear' });
    this.clearButton.addEventListener('click', () => this.set({}, true));
    this.element.append(this.clearButton);
    this.render();
  }

  get where(): FlowsWhere {
    return { ...this.current };
  }

  setFacets(facets: FlowFacets | null): void {
    this.facets = facets;
    this.render();
  }

  /** Shows conditions chosen elsewhere (the overview, a restored state); `notify` reloads the table. */
  set(where: FlowsWhere, notify = false): void {
    this.current = { ...where };
    this.render();
    if (notify) this.onChange(this.where);
  }

  /** Rebuilds an option list only when its values change: lists update asynchronously (on slotchange). */
  private render(): void {
    for (const f of FILTERS) {
      const select = this.selects.get(f.key)!;
      const values: ValueCount[] = this.facets ? this.facets[f.key] : [];
      const chosen = this.current[f.key] ?? '';
      const options: [string, string][] = [['', f.any], ...values.map((v): [string, string] => [v.value, `${v.value} (${v.count})`])];
      // A value the list does not hold (typed, or restored before the facets came) is still shown as chosen.
      if (chosen && !values.some((v) => v.value === chosen)) options.push([chosen, chosen]);
      const signature = JSON.stringify(options);
      if (select.dataset['options'] !== signature) {
        select.dataset['options'] = signature;
        clear(select);
        // The chosen option is marked selected in the markup: the component reads options on slotchange, after this
        // returns, and a combobox (the endpoint one) leaves its box blank when value '' is set before that.
        for (const [value, label] of options) select.append(el('vscode-option', { value, textContent: label, selected: value === chosen ? true : undefined }));
      } else if (select.value !== chosen) select.value = chosen;
      select.toggleAttribute('data-active', chosen !== '');
    }
    (this.clearButton as HTMLElement & { disabled?: boolean }).disabled = Object.keys(this.current).length === 0;
  }
}

/** An address or ip:port as the table prints them (the host parses it again; this only spares a useless query). */
function looksLikeEndpoint(t: string): boolean {
  return /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:.]+\](:\d{1,5})?|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/.test(t);
}

/** Text for the "N of M flows" line: what the conditions are, in words. */
export function describeWhere(w: FlowsWhere): string {
  const parts: string[] = [];
  if (w.endpoint) parts.push(`endpoint ${w.endpoint}`);
  if (w.clientState) parts.push(`client ${w.clientState}`);
  if (w.serverState) parts.push(`server ${w.serverState}`);
  if (w.connState) parts.push(`conn_state ${w.connState}`);
  if (w.finding) parts.push(`finding ${w.finding}`);
  return parts.join(', ');
}
