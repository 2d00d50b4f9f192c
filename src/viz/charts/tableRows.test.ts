import { describe, expect, it } from 'vitest';
import { chartDataRows, formatCell } from './tableRows';

describe('formatCell', () => {
  it('groups the digits of integers exactly (formatInt)', () => {
    expect(formatCell(25_557_032)).toBe('25,557,032');
    expect(formatCell(0)).toBe('0');
    expect(formatCell(-4096)).toBe('-4,096');
  });

  it('keeps 4 significant digits of small fractions and one decimal of large ones', () => {
    expect(formatCell(23.912)).toBe('23.91');
    expect(formatCell(0.0012345)).toBe('0.001235');
    expect(formatCell(1_234_567.89)).toBe('1,234,567.9');
  });

  it('names the non-finite values instead of printing NaN', () => {
    expect(formatCell(Number.NaN)).toBe('–');
    expect(formatCell(Infinity)).toBe('∞');
  });
});

describe('chartDataRows for an XY chart', () => {
  it('has one row per point, in series order, headed by the axis titles', () => {
    const table = chartDataRows(
      {
        series: [
          { name: 'params', kind: 'line', points: [{ x: 1, y: 25_028_904 }, { x: 32, y: 25_028_904 }] },
          { name: 'ideal', kind: 'line', dashed: true, points: [{ x: 2, y: 2.5 }] },
        ],
      },
      { x: 'Cardinality C', y: 'Parameters' },
    );
    expect(table.columns).toEqual([
      { header: 'Series', numeric: false },
      { header: 'Cardinality C', numeric: true },
      { header: 'Parameters', numeric: true },
    ]);
    expect(table.rows).toEqual([
      ['params', '1', '25,028,904'],
      ['params', '32', '25,028,904'],
      ['ideal', '2', '2.5'],
    ]);
  });

  it('adds a Label column when points are labelled, and lists markers after the series', () => {
    const table = chartDataRows({
      series: [
        {
          name: 'ImageNet',
          kind: 'points',
          points: [
            { x: 4_100_000_000, y: 23.9, label: 'ResNet-50 23.9%' },
            { x: 4_200_000_000, y: 22.2, label: 'ResNeXt-50 22.2%' },
            { x: 1, y: 2 },
          ],
        },
      ],
      markers: [{ x: 4_250_000_000, label: 'this model' }],
    });
    expect(table.columns.map((c) => c.header)).toEqual(['Series', 'x', 'y', 'Label']);
    expect(table.rows).toEqual([
      ['ImageNet', '4,100,000,000', '23.9', 'ResNet-50 23.9%'],
      ['ImageNet', '4,200,000,000', '22.2', 'ResNeXt-50 22.2%'],
      ['ImageNet', '1', '2', ''],
      ['marker', '4,250,000,000', '', 'this model'],
    ]);
  });

  it('is empty, with its header, when there are no series', () => {
    const table = chartDataRows({ series: [] });
    expect(table.columns).toHaveLength(3);
    expect(table.rows).toEqual([]);
  });
});

describe('chartDataRows for a bar chart', () => {
  it('has one row per bar with the value formatted exactly', () => {
    const table = chartDataRows(
      [
        { label: 'conv1', value: 118_013_952 },
        { label: 'conv2', value: 411_041_792 },
      ],
      { value: 'MACs' },
    );
    expect(table.columns).toEqual([
      { header: 'Label', numeric: false },
      { header: 'MACs', numeric: true },
    ]);
    expect(table.rows).toEqual([
      ['conv1', '118,013,952'],
      ['conv2', '411,041,792'],
    ]);
  });

  it('adds a Group column only when some bar has a group', () => {
    const table = chartDataRows([
      { label: 'conv2', value: 1, group: 'ResNet-50' },
      { label: 'conv2', value: 2 },
    ]);
    expect(table.columns.map((c) => c.header)).toEqual(['Label', 'Group', 'Value']);
    expect(table.rows).toEqual([
      ['conv2', 'ResNet-50', '1'],
      ['conv2', '', '2'],
    ]);
  });
});
