/**
 * A run record's checkpoint split into IndexedDB values Chromium will store. Chromium (seen in 156)
 * refuses one IndexedDB value over 127 MiB ("The serialized keys and/or value are too large", max 133,169,152 bytes): the put ends its transaction. A checkpoint holds the
 * weights, their momentum and maybe their average, 8-12 bytes a parameter, so a model past ~11M
 * parameters (the paper's CIFAR ResNeXt-29s) would make its run record unsavable (docs/storage.md#one-value-at-most-127-mib). A record whose
 * checkpoint arrays exceed PART_BYTES is stored with those arrays emptied and a manifest (their
 * lengths, in order), the values in parts of at most PART_BYTES each: lists of Float32Array pieces
 * (copies) in the same order. Pure: the storage (runs.ts) writes the record and its parts in one
 * transaction.
 */
import type { TrainCheckpoint } from '../workers/protocol';

/** The most bytes of checkpoint values one stored part holds. */
export const PART_BYTES = 64 * 2 ** 20;

/** Stored in the record where its checkpoint's values live in parts. */
export interface CheckpointManifest {
  parts: number;
  /** Lengths of the arrays, in the order of `arraysOf`. */
  lengths: number[];
}

const SECTIONS = ['params', 'momentum', 'ema'] as const;

/** The checkpoint's arrays in a fixed order: params, momentum, ema, each in its Map's order. */
function arraysOf(c: TrainCheckpoint): Float32Array[] {
  return SECTIONS.flatMap((s) => [...(c[s]?.values() ?? [])].map((v) => v.values));
}

/** The checkpoint with every array replaced (in order) by `next()`'s. */
function withArrays(c: TrainCheckpoint, next: (i: number) => Float32Array): TrainCheckpoint {
  let i = 0;
  const section = (m: TrainCheckpoint['params']) => new Map([...m].map(([k, v]) => [k, { shape: v.shape, values: next(i++) }]));
  return { ...c, params: section(c.params), momentum: section(c.momentum), ...(c.ema ? { ema: section(c.ema) } : {}) };
}

/** The checkpoint as stored: whole when its arrays fit in one part, else emptied, with its manifest and parts. */
export function splitCheckpoint(c: TrainCheckpoint, partBytes = PART_BYTES): { checkpoint: TrainCheckpoint; manifest?: CheckpointManifest; parts: Float32Array[][] } {
  const arrays = arraysOf(c);
  const bytes = arrays.reduce((n, a) => n + a.byteLength, 0);
  if (bytes <= partBytes) return { checkpoint: c, parts: [] };
  const perPart = Math.max(1, Math.floor(partBytes / Float32Array.BYTES_PER_ELEMENT));
  const parts: Float32Array[][] = [[]];
  let room = perPart;
  for (const a of arrays) {
    for (let at = 0; at < a.length; ) {
      if (room === 0) {
        parts.push([]);
        room = perPart;
      }
      const take = Math.min(room, a.length - at);
      parts.at(-1)!.push(a.slice(at, at + take));
      room -= take;
      at += take;
    }
  }
  return { checkpoint: withArrays(c, () => new Float32Array(0)), manifest: { parts: parts.length, lengths: arrays.map((a) => a.length) }, parts };
}

/** The checkpoint back from its stored form and parts; throws where the parts do not add up to the manifest. */
export function joinCheckpoint(stored: TrainCheckpoint, manifest: CheckpointManifest, parts: ReadonlyArray<readonly Float32Array[] | undefined>): TrainCheckpoint {
  if (parts.length !== manifest.parts || parts.some((p) => !Array.isArray(p))) throw new Error(`checkpoint: ${parts.filter(Array.isArray).length} of ${manifest.parts} parts stored`);
  const pieces = parts.flatMap((p) => p!);
  let piece = 0;
  let offset = 0;
  const arrays = manifest.lengths.map((length) => {
    const out = new Float32Array(length);
    let filled = 0;
    while (filled < length) {
      const p = pieces[piece];
      if (!p) throw new Error('checkpoint: its parts end early');
      const n = Math.min(p.length - offset, length - filled);
      out.set(p.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (offset === p.length) {
        piece++;
        offset = 0;
      }
    }
    return out;
  });
  if (piece !== pieces.length) throw new Error('checkpoint: its parts hold more than its manifest');
  if (arrays.length !== arraysOf(stored).length) throw new Error('checkpoint: its manifest does not match its arrays');
  return withArrays(stored, (i) => arrays[i]!);
}
