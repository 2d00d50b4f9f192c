import { describe, expect, it } from 'vitest';
import { inlineStyleText, parseViewBox } from './exportSvg';

describe('export helpers', () => {
  it('inlines only values that differ from the SVG defaults', () => {
    expect(
      inlineStyleText([
        ['fill', 'rgb(0, 114, 178)'],
        ['opacity', '1'],
        ['display', 'inline'],
        ['font-family', '"Segoe UI", sans-serif'],
        ['stroke', ''],
      ]),
    ).toBe("fill:rgb(0, 114, 178);font-family:'Segoe UI', sans-serif");
  });

  it('parses a viewBox', () => {
    expect(parseViewBox('0 0 960 540')).toEqual({ width: 960, height: 540 });
    expect(parseViewBox('0,0,10,20')).toEqual({ width: 10, height: 20 });
    expect(parseViewBox(null)).toBeUndefined();
    expect(parseViewBox('0 0 0 10')).toBeUndefined();
  });
});
