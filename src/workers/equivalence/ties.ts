/**
 * ReLU inputs at the kink (docs/papers.md#ties-at-relus-kink). The three forms are one function,
 * but each rounds in its own order, so an input within float32 rounding of 0 can fall on different
 * sides of 0 in different forms. The outputs still agree (ReLU is ≈ 0 on both sides); ReLU's
 * derivative (1 above 0, 0 otherwise, as tfjs takes it) does not, and the whole gradient upstream
 * of that element follows. Pure: no tfjs, so the page and Node tests use it as is.
 */
import { canonicalName } from '../../models';
import type { FormPair } from './check';

/** One ReLU op's input, NHWC, with every channel of form (c)'s op of that name. */
export interface Activation {
  shape: [number, number, number, number];
  values: Float32Array;
}

/** A ReLU input as one form's op saw it: a branch op holds its slice of form (c)'s channels. */
export interface RecordedActivation {
  /** The op's own name, e.g. `layer1.0.branches.3.relu1`. */
  name: string;
  shape: number[];
  values: Float32Array;
}

/**
 * One form's ReLU inputs keyed by form (c)'s op names. Branch g of C, with d channels, owns
 * channels [g·d, (g+1)·d) of the grouped layer: the same rows the engine slices its weights by.
 */
export function canonicalActivations(recorded: RecordedActivation[], channelsOf: (canonical: string) => number | undefined): Map<string, Activation> {
  const out = new Map<string, Activation>();
  for (const r of recorded) {
    const { name, branch } = canonicalName(r.name);
    const [n, h, w, c] = r.shape as [number, number, number, number];
    const full = channelsOf(name) ?? c;
    let a = out.get(name);
    if (!a) {
      a = { shape: [n, h, w, full], values: new Float32Array(n * h * w * full) };
      out.set(name, a);
    }
    const offset = (branch ?? 0) * c;
    if (offset + c > full) throw new Error(`${r.name}: channels ${offset}..${offset + c} outside ${name}'s ${full}`);
    for (let p = 0; p < n * h * w; p++) a.values.set(r.values.subarray(p * c, (p + 1) * c), p * full + offset);
  }
  return out;
}

/** Which side of ReLU's kink an input is on, as tfjs' ReLU gradient takes it. */
const above = (x: number) => x > 0;

/** A ReLU whose input lies on different sides of 0 in two forms, within `tolerance` of each other. */
export interface ReluTie {
  /** Form (c)'s op name, e.g. `layer2.2.relu`. */
  op: string;
  pair: FormPair;
  /** How many input elements are at a tie. */
  elements: number;
  /** The first few: flat NHWC index into form (c)'s op, and the input in each form of the pair. */
  examples: { index: number; values: [number, number] }[];
}

const EXAMPLES = 3;

/** Elements of each ReLU on different sides of 0 in `p` and `q` yet within `tolerance`: ties. */
export function reluTies(p: Map<string, Activation>, q: Map<string, Activation>, pair: FormPair, tolerance: number): ReluTie[] {
  const ties: ReluTie[] = [];
  for (const [op, a] of p) {
    const b = q.get(op);
    if (!b || b.values.length !== a.values.length) continue;
    let tie: ReluTie | undefined;
    for (let i = 0; i < a.values.length; i++) {
      const [x, y] = [a.values[i]!, b.values[i]!];
      if (above(x) === above(y) || Math.abs(x - y) > tolerance) continue;
      tie ??= { op, pair, elements: 0, examples: [] };
      tie.elements++;
      if (tie.examples.length < EXAMPLES) tie.examples.push({ index: i, values: [x, y] });
    }
    if (tie) ties.push(tie);
  }
  return ties;
}

/**
 * ReLU's derivative at a form's ties with the reference form, taken on the reference's side: per op
 * (the form's own op names), 1 where the derivative is forced and the forced value. Elements not at
 * a tie keep the form's own derivative.
 */
export interface ForcedDerivative {
  forced: Uint8Array;
  value: Float32Array;
  shape: number[];
}

export function forcedDerivatives(
  form: Map<string, Activation>,
  reference: Map<string, Activation>,
  ops: { name: string; shape: number[] }[],
  tolerance: number,
): Map<string, ForcedDerivative> {
  const out = new Map<string, ForcedDerivative>();
  for (const op of ops) {
    const { name, branch } = canonicalName(op.name);
    const [a, r] = [form.get(name), reference.get(name)];
    if (!a || !r || a.values.length !== r.values.length) continue;
    const [n, h, w, c] = op.shape as [number, number, number, number];
    const full = a.shape[3];
    const offset = (branch ?? 0) * c;
    const forced = new Uint8Array(n * h * w * c);
    const value = new Float32Array(n * h * w * c);
    let any = false;
    for (let p = 0; p < n * h * w; p++) {
      for (let k = 0; k < c; k++) {
        const i = p * full + offset + k;
        const [x, y] = [a.values[i]!, r.values[i]!];
        if (above(x) === above(y) || Math.abs(x - y) > tolerance) continue;
        forced[p * c + k] = 1;
        value[p * c + k] = above(y) ? 1 : 0;
        any = true;
      }
    }
    if (any) out.set(op.name, { forced, value, shape: op.shape });
  }
  return out;
}
