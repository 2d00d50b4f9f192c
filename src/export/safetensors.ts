/**
 * Trained weights as a safetensors file that PyTorch loads into the exported model:
 *   from safetensors.torch import load_file; model.load_state_dict(load_file('run.safetensors'))
 * Tensors are converted from tfjs layouts to PyTorch's: conv filters [kh, kw, in/groups, out] ->
 * [out, in/groups, kh, kw], FC weights [in, out] -> [out, in]. BatchNorm's num_batches_tracked is
 * added (int64, the run's step count) so a strict load works. Format: an 8-byte little-endian header
 * length, a JSON header, then the raw little-endian data.
 */

export interface NamedTensor {
  shape: number[];
  values: Float32Array;
}

/** tfjs layout -> PyTorch layout (a copy). */
export function toTorchLayout(t: NamedTensor): NamedTensor {
  if (t.shape.length === 4) {
    const [kh, kw, cin, cout] = t.shape as [number, number, number, number];
    const out = new Float32Array(t.values.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < cin; i++)
          for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = t.values[((y * kw + x) * cin + i) * cout + o]!;
    return { shape: [cout, cin, kh, kw], values: out };
  }
  if (t.shape.length === 2) {
    const [cin, cout] = t.shape as [number, number];
    const out = new Float32Array(t.values.length);
    for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) out[o * cin + i] = t.values[i * cout + o]!;
    return { shape: [cout, cin], values: out };
  }
  return { shape: [...t.shape], values: t.values.slice() };
}

export function toSafetensors(params: Map<string, NamedTensor>, options: { step?: number; metadata?: Record<string, string> } = {}): Uint8Array {
  const entries: { key: string; dtype: 'F32' | 'I64'; shape: number[]; bytes: Uint8Array }[] = [];
  for (const [key, t] of params) {
    const torch = toTorchLayout(t);
    entries.push({ key, dtype: 'F32', shape: torch.shape, bytes: new Uint8Array(torch.values.buffer, torch.values.byteOffset, torch.values.byteLength) });
    if (key.endsWith('.running_var')) {
      const tracked = new BigInt64Array([BigInt(options.step ?? 0)]);
      entries.push({ key: key.replace(/running_var$/, 'num_batches_tracked'), dtype: 'I64', shape: [], bytes: new Uint8Array(tracked.buffer) });
    }
  }
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...(options.metadata ?? {}) } };
  let offset = 0;
  for (const e of entries) {
    header[e.key] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = asciiBytes(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const e of entries) {
    out.set(e.bytes, at);
    at += e.bytes.length;
  }
  return out;
}

/** state_dict keys and the header are ASCII (no TextEncoder in the pure core's library). */
function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) throw new Error(`safetensors header must be ASCII: ${JSON.stringify(text.slice(i, i + 20))}`);
    out[i] = c;
  }
  return out;
}
