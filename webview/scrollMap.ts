/**
 * Scrolling over more rows than a browser lets an element be tall (Chromium caps near 33.5 M px): the scroll spacer
 * is capped, and scrollTop maps linearly onto the full virtual height. Shared by the flows grid and the timeline.
 */
export const MAX_SCROLL_PX = 8_000_000;

export interface ScrollGeometry {
  spacerHeight: number;
  scrollRange: number;
  virtualRange: number;
  /** Virtual pixel at the viewport's top. */
  virtualTop: number;
  /** Viewport height and width. */
  vh: number;
  width: number;
}

export function scrollGeometry(viewport: HTMLElement, total: number, rowHeight: number): ScrollGeometry {
  const virtualHeight = total * rowHeight;
  const spacerHeight = Math.min(virtualHeight, MAX_SCROLL_PX);
  const vh = viewport.clientHeight;
  const scrollRange = Math.max(0, spacerHeight - vh);
  const virtualRange = Math.max(0, virtualHeight - vh);
  const virtualTop = scrollRange > 0 ? (viewport.scrollTop / scrollRange) * virtualRange : 0;
  return { spacerHeight, scrollRange, virtualRange, virtualTop, vh, width: viewport.clientWidth };
}

/** Scrolls so that virtual pixel `target` (clamped to the range) is at the viewport's top. */
export function scrollToVirtual(viewport: HTMLElement, g: ScrollGeometry, target: number): void {
  viewport.scrollTop = g.virtualRange > 0 ? (Math.min(Math.max(0, target), g.virtualRange) / g.virtualRange) * g.scrollRange : 0;
}

/** Scrolls the least that shows row `index` whole; does nothing when it already is. */
export function revealRow(viewport: HTMLElement, g: ScrollGeometry, index: number, rowHeight: number): void {
  const top = index * rowHeight;
  let target = g.virtualTop;
  if (top < g.virtualTop) target = top;
  else if (top + rowHeight > g.virtualTop + g.vh) target = top + rowHeight - g.vh;
  if (target !== g.virtualTop) scrollToVirtual(viewport, g, target);
}
