/**
 * Seeded random numbers, the same on every platform: what initialises parameters (equivalence
 * checks, training), shuffles epochs and draws augmentations. mulberry32 with its state exposed, so
 * a run's randomness is a pure function of (seed, stream, index) and a checkpoint needs only those.
 */

export class Mulberry32 {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box-Muller, two draws). */
  gaussian(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

/** A 32-bit seed for stream `stream` at position `index` of a run seeded `seed` (murmur3's finaliser). */
export function deriveSeed(seed: number, stream: number, index: number): number {
  let h = (seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fisher-Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, random: Mulberry32): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** n values uniform in [-bound, bound). */
export function uniformArray(n: number, bound: number, random: Mulberry32): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * random.next() - 1) * bound;
  return out;
}
