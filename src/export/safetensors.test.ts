import { describe, expect, it } from 'vitest';
import { toSafetensors, toTorchLayout } from './safetensors';

describe('safetensors export', () => {
  it('converts tfjs layouts to PyTorch layouts', () => {
    // conv [kh=1, kw=2, in=2, out=3]: value = 1000*y + 100*x + 10*i + o
    const values = new Float32Array(12);
    for (let x = 0; x < 2; x++) for (let i = 0; i < 2; i++) for (let o = 0; o < 3; o++) values[(x * 2 + i) * 3 + o] = 100 * x + 10 * i + o;
    const t = toTorchLayout({ shape: [1, 2, 2, 3], values });
    expect(t.shape).toEqual([3, 2, 1, 2]);
    // torch index [o][i][y][x]
    expect(t.values[((2 * 2 + 1) * 1 + 0) * 2 + 1]).toBe(100 * 1 + 10 * 1 + 2);
    const fc = toTorchLayout({ shape: [2, 3], values: new Float32Array([0, 1, 2, 10, 11, 12]) });
    expect(fc).toEqual({ shape: [3, 2], values: new Float32Array([0, 10, 1, 11, 2, 12]) });
  });

  it('writes a valid file: header length, JSON header with offsets, data, num_batches_tracked', () => {
    const params = new Map([
      ['conv1.weight', { shape: [1, 1, 2, 2], values: new Float32Array([1, 2, 3, 4]) }],
      ['bn1.running_var', { shape: [2], values: new Float32Array([5, 6]) }],
    ]);
    const bytes = toSafetensors(params, { step: 7 });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(String.fromCharCode(...bytes.subarray(8, 8 + n)));
    expect(header['conv1.weight']).toEqual({ dtype: 'F32', shape: [2, 2, 1, 1], data_offsets: [0, 16] });
    expect(header['bn1.num_batches_tracked']).toEqual({ dtype: 'I64', shape: [], data_offsets: [24, 32] });
    const data = bytes.subarray(8 + n);
    expect(Array.from(new Float32Array(data.slice(0, 16).buffer))).toEqual([1, 3, 2, 4]);
    expect(new BigInt64Array(data.slice(24, 32).buffer)[0]).toBe(7n);
  });
});
