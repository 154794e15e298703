import { el } from './dom';

export interface TabSpec<Id extends string> {
  id: Id;
  label: string;
  panel: HTMLElement;
}

/**
 * The WAI-ARIA tabs pattern with automatic activation: one tab in the Tab order (roving tabindex), Left/Right move
 * and select (wrapping), Home/End jump; panels are labelled by their tab and hidden when not selected.
 */
export class TabBar<Id extends string> {
  readonly element: HTMLElement;
  private readonly tabs = new Map<Id, HTMLElement>();
  private current: Id;

  constructor(
    label: string,
    private readonly specs: TabSpec<Id>[],
    initial: Id,
    private readonly onChange: (id: Id) => void,
  ) {
    this.element = el('div', { className: 'tabs', role: 'tablist', 'aria-label': label });
    for (const spec of specs) {
      const tab = el('button', {
        type: 'button',
        className: 'tab',
        role: 'tab',
        id: `tab-${spec.id}`,
        'aria-controls': spec.panel.id,
        textContent: spec.label,
      });
      tab.addEventListener('click', () => this.select(spec.id));
      tab.addEventListener('keydown', (e) => this.onKey(e, spec.id));
      spec.panel.setAttribute('role', 'tabpanel');
      spec.panel.setAttribute('aria-labelledby', tab.id);
      spec.panel.tabIndex = -1;
      this.tabs.set(spec.id, tab);
      this.element.append(tab);
    }
    this.current = specs.some((s) => s.id === initial) ? initial : specs[0]!.id;
    this.apply();
  }

  get selected(): Id {
    return this.current;
  }

  select(id: Id, focus = false): void {
    if (!this.tabs.has(id)) return;
    const changed = id !== this.current;
    this.current = id;
    this.apply();
    if (focus) this.tabs.get(id)!.focus();
    if (changed) this.onChange(id);
  }

  private apply(): void {
    for (const spec of this.specs) {
      const on = spec.id === this.current;
      const tab = this.tabs.get(spec.id)!;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      spec.panel.hidden = !on;
    }
  }

  private onKey(e: KeyboardEvent, from: Id): void {
    const ids = this.specs.map((s) => s.id);
    const i = ids.indexOf(from);
    let next: number;
    switch (e.key) {
      case 'ArrowRight':
        next = (i + 1) % ids.length;
        break;
      case 'ArrowLeft':
        next = (i - 1 + ids.length) % ids.length;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = ids.length - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    this.select(ids[next]!, true);
  }
}
