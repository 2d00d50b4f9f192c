import { type RefObject, useEffect, useState } from 'react';

/**
 * The content width of an element in CSS px, kept current by a ResizeObserver: the diagrams lay
 * themselves out for it and draw 1 viewBox unit as 1 px, so their text keeps one size.
 */
export function useContainerWidth(ref: RefObject<HTMLElement | null>, fallback = 960): number {
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      const w = Math.floor(el.getBoundingClientRect().width);
      if (w > 0) setWidth(w);
    };
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}
