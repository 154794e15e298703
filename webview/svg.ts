/**
 * SVG counterpart of dom.ts's el(): attributes set one by one and text through textContent, so capture text drawn
 * in a diagram is never parsed as markup.
 */
export const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Seconds as the diagrams print them: microseconds below a second, milliseconds above. */
export function durationText(seconds: number): string {
  const a = Math.abs(seconds);
  if (a === 0) return '0 s';
  if (a < 1e-3) return `${(seconds * 1e6).toFixed(0)} µs`;
  if (a < 1) return `${(seconds * 1e3).toFixed(a < 0.01 ? 3 : 1)} ms`;
  if (a < 120) return `${seconds.toFixed(3)} s`;
  if (a < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
