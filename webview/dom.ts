/**
 * The one way this webview makes elements: properties and attributes are set individually and text goes through
 * textContent, so nothing read from a capture is ever parsed as HTML.
 */
type Props = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k === 'className') e.className = String(v);
    else if (k === 'textContent') e.textContent = String(v);
    else if (k === 'tabIndex') e.tabIndex = Number(v);
    else if (k === 'type' && e instanceof HTMLButtonElement) e.type = v as 'button';
    else if (k === 'title') e.title = String(v);
    else if (k === 'hidden') e.hidden = Boolean(v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children) e.append(c); // strings become text nodes
  return e;
}

export function clear(e: Element): void {
  while (e.firstChild) e.firstChild.remove();
}
