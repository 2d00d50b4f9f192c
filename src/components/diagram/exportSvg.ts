/**
 * "Export diagram as SVG / PNG". The diagrams are styled by diagram.css, which a saved file does not
 * carry, so the computed values of the properties that decide the look are inlined on a clone.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';

/** The presentation properties the diagrams use; anything else keeps its SVG default. */
export const INLINED_PROPERTIES = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'stroke-linecap',
  'stroke-linejoin',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'text-anchor',
  'dominant-baseline',
  'display',
  'visibility',
] as const;

/** Values that are the SVG defaults anyway, left out to keep files small. */
const DEFAULTS: Partial<Record<(typeof INLINED_PROPERTIES)[number], string[]>> = {
  display: ['inline', 'block', 'inline-block'],
  visibility: ['visible'],
  opacity: ['1'],
  'fill-opacity': ['1'],
  'stroke-opacity': ['1'],
  'stroke-dasharray': ['none'],
  'font-style': ['normal'],
  'stroke-linecap': ['butt'],
  'stroke-linejoin': ['miter'],
};

/** `style` attribute text from property/value pairs, dropping empty values and SVG defaults. */
export function inlineStyleText(values: Iterable<readonly [string, string]>): string {
  const parts: string[] = [];
  for (const [property, raw] of values) {
    const value = raw.trim();
    if (!value) continue;
    if (DEFAULTS[property as keyof typeof DEFAULTS]?.includes(value)) continue;
    parts.push(`${property}:${value.replace(/"/g, "'")}`);
  }
  return parts.join(';');
}

/** Width and height of a viewBox attribute ("0 0 960 540"), or undefined when it is missing or malformed. */
export function parseViewBox(viewBox: string | null): { width: number; height: number } | undefined {
  if (!viewBox) return undefined;
  const n = viewBox.trim().split(/[\s,]+/).map(Number);
  const [, , width, height] = n;
  if (n.length !== 4 || !width || !height || !(width > 0) || !(height > 0)) return undefined;
  return { width, height };
}

/** The diagram's natural size: its viewBox (1 unit = 1 px), else its size on screen. */
export function svgSize(svg: SVGSVGElement): { width: number; height: number } {
  const fromViewBox = parseViewBox(svg.getAttribute('viewBox'));
  if (fromViewBox) return fromViewBox;
  const r = svg.getBoundingClientRect();
  return { width: Math.max(1, Math.round(r.width)), height: Math.max(1, Math.round(r.height)) };
}

/** A standalone SVG document: styles inlined, namespaces declared, width/height set, UI-only attributes dropped. */
export function svgToString(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const sources: Element[] = [svg, ...svg.querySelectorAll('*')];
  const targets: Element[] = [clone, ...clone.querySelectorAll('*')];
  sources.forEach((source, i) => {
    const target = targets[i];
    if (!target) return;
    const computed = getComputedStyle(source);
    const style = inlineStyleText(INLINED_PROPERTIES.map((p) => [p, computed.getPropertyValue(p)] as const));
    if (style) target.setAttribute('style', style);
    else target.removeAttribute('style');
    for (const attribute of ['class', 'tabindex', 'aria-expanded', 'aria-controls']) target.removeAttribute(attribute);
  });
  const { width, height } = svgSize(svg);
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('xmlns:xlink', XLINK_NS);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
}

export function svgToBlob(svg: SVGSVGElement): Blob {
  return new Blob([svgToString(svg)], { type: 'image/svg+xml;charset=utf-8' });
}

/** Renders the standalone SVG into a canvas `scale` times its natural size, on white. */
export async function svgToPngBlob(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const { width, height } = svgSize(svg);
  const url = URL.createObjectURL(svgToBlob(svg));
  try {
    const image = new Image();
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('the diagram could not be drawn as an image'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const context = canvas.getContext('2d');
    if (!context) throw new Error('this browser has no 2D canvas');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas could not be encoded as PNG'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
