/** spec -> graph -> stats in one call, for validated and for untrusted specs. */
import { buildEfficientNet } from './families/efficientnet';
import { buildResNet } from './families/resnet';
import type { NetworkGraph } from './graph';
import type { ArchSpec } from './spec';
import { type NetworkStats, computeStats } from './stats';
import { type SpecError, formatSpecErrors, validateSpec } from './validate';

/** Expands a *validated* spec into its graph. Use `analyze` for untrusted input. */
export function buildGraph(spec: ArchSpec): NetworkGraph {
  return spec.family === 'resnet' ? buildResNet(spec) : buildEfficientNet(spec);
}

export type Analysis = { ok: true; spec: ArchSpec; graph: NetworkGraph; stats: NetworkStats } | { ok: false; errors: SpecError[] };
export type ValidAnalysis = Extract<Analysis, { ok: true }>;

/** Validate, build and count. Never throws for bad input: errors name the field instead. */
export function analyze(raw: unknown): Analysis {
  const result = validateSpec(raw);
  if (!result.ok) return result;
  const graph = buildGraph(result.spec);
  const stats = computeStats(graph);
  const { params, macs, flops } = stats.totals;
  if (![params, macs, flops].every(Number.isSafeInteger)) {
    return { ok: false, errors: [{ field: '(size)', message: 'this network is too large to count exactly (over 2^53 operations); make it smaller' }] };
  }
  return { ok: true, spec: result.spec, graph, stats };
}

/**
 * `analyze` for a spec that must be valid (a preset, or one the code built itself): throws an Error
 * whose message is every problem on one line (`formatSpecErrors`), after `context: ` when given.
 */
export function analyzeOrThrow(raw: unknown, context?: string): ValidAnalysis {
  const a = analyze(raw);
  if (a.ok) return a;
  const problems = formatSpecErrors(a.errors);
  throw new Error(context === undefined ? problems : `${context}: ${problems}`);
}
