/**
 * Python text that the PyTorch and the Keras exports both write: the constants block, the notes,
 * the config dataclasses and their rows, and the docstrings of the parts that work alike. Each is
 * written here once, so the two files say the same thing in the same words.
 */
import type { ArchSpec, ValidAnalysis } from '../models/index';
import type { Design, EfficientNetDesign, MBConvStageDesign, ResNetDesign, ResNetStageDesign } from './design';
import { pyNumber, pyString } from './python';

/** `text` with every non-empty line prefixed by `prefix` (for a snippet placed inside a class or function). */
export function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `${prefix}${line}` : line))
    .join('\n');
}

/** The module constants every export starts with; `countNote` says what APP_PARAMS compares with. */
export function modelConstants(a: ValidAnalysis, design: Design, countNote: string): string[] {
  return [
    `MODEL_NAME = ${pyString(a.spec.name)}`,
    `RESOLUTION = ${a.spec.input.resolution}`,
    `IN_CHANNELS = ${design.family === 'resnet' ? design.stem.inChannels : design.inChannels}`,
    `NUM_CLASSES = ${design.classes}`,
    `# ${countNote}`,
    `APP_PARAMS = ${a.stats.totals.params}`,
    `APP_MACS = ${a.stats.totals.macs}`,
  ];
}

/** The f-string tail of check()'s count line: `count` beside the app's, and whether they match. */
export const countVerdict = (count: string): string => `(ResNeXt Lab counts {APP_PARAMS}: {'match' if ${count} == APP_PARAMS else 'MISMATCH'})`;

/** The header note of a ResNet-family export: it is written in form (c), whatever form the app showed. */
export function formNote(spec: ArchSpec, lastLine: string): string[] {
  const shown = spec.family === 'resnet' && spec.form !== 'c' ? ` (it showed form (${spec.form}))` : '';
  return [
    '',
    'Blocks are written in form (c) of ResNeXt Fig. 3 (one grouped 3x3 convolution, groups = C),',
    `whatever form the app showed${shown}: the three forms are strictly equivalent, with the`,
    lastLine,
  ];
}

// ---------------------------------------------------------------------------------------------
// ResNet family
// ---------------------------------------------------------------------------------------------

export const STAGE_CONFIG_CLASS = `@dataclass
class StageConfig:
    """One row of the paper's table: \`blocks\` blocks whose 3x3 layers are \`width\` channels wide in
    \`groups\` groups (the cardinality C), producing \`out_channels\`; the first block strides by \`stride\`."""

    blocks: int
    width: int
    out_channels: int
    stride: int
    groups: int = 1`;

/** One StageConfig(...) row of the stage table, unindented. */
export const stageConfigRow = (st: ResNetStageDesign): string =>
  `StageConfig(blocks=${st.blocks}, width=${st.width}, out_channels=${st.outChannels}, stride=${st.stride}, groups=${st.groups}),`;

/** Docstring of the plain projection shortcut, unindented. */
export const PROJECTION_DOC = `"""Projection shortcut ("type B": 1x1 conv with the block's stride, then BN) where the shape
changes; identity otherwise."""`;

/** Docstring of iResNet's max-pool projection shortcut, unindented. */
export const MAXPOOL_PROJECTION_DOC = `"""iResNet's improved projection shortcut where the shape changes: 3x3 max pool with the
block's stride (a spatial projection that sees every activation), then 1x1 conv, stride 1
(the channel projection), then BN. Identity otherwise."""`;

/** iResNet's ResStage roles: the body of both ResStage blocks' docstrings (indented for a top-level def or class). */
export const RESSTAGE_DOC = `    iResNet ResStage (Duta et al., Sec. 3.1): \`role\` is "start", "middle" or "end".
      start:  F(x) = [conv, BN, ReLU]... conv, BN; + projection shortcut; no ReLU after the addition.
      middle: F(x) = BN, ReLU, [conv, BN, ReLU]... conv (pre-activation); + identity.
      end:    like middle, then BN and ReLU after the addition (they prepare the next stage).
    The first middle block of a stage (\`exclude_bn0\`) starts with ReLU: the start block normalised
    already. So the main path holds one ReLU per stage, whatever the depth.`;

/** Comment lines that say where the stage numbers come from (cardinality, d, multipliers, overrides). */
export function resnetProvenance(d: ResNetDesign): string[] {
  const s = d.spec;
  const lines = [
    `${s.block === 'bottleneck' ? 'Bottleneck' : 'Basic'} blocks, cardinality C = ${pyNumber(s.cardinality)}, bottleneck width d = ${pyNumber(s.bottleneckWidth)}, expansion ${pyNumber(s.expansion)}:`,
    'width = C * d in the first stage, doubling with the stage width (template rule ii).',
  ];
  const overrides = s.stages.flatMap((st, i) => [
    ...(st.groups !== undefined ? [`stage ${i + 1} groups = ${st.groups}`] : []),
    ...(st.width !== undefined ? [`stage ${i + 1} width = ${st.width}`] : []),
  ]);
  if (overrides.length) lines.push(`Per-stage overrides: ${overrides.join(', ')}.`);
  if (s.depthMultiplier !== 1 || s.widthMultiplier !== 1) {
    lines.push(
      `Compound scaling already applied: depth x${pyNumber(s.depthMultiplier)} (blocks = ceil(blocks * depth)),`,
      `width x${pyNumber(s.widthMultiplier)} (channels = make_divisible(channels * width, 8)).`,
    );
  }
  if (!s.shortcuts) lines.push('Shortcuts off (the residual-connection ablation): plain stacks, no addition.');
  if (s.resStage) lines.push('iResNet ResStage: start / middle / end blocks.');
  if (s.improvedShortcut) lines.push('iResNet improved projection shortcut: 3x3 max pool (stride), 1x1 conv, BN.');
  return lines;
}

// ---------------------------------------------------------------------------------------------
// EfficientNet
// ---------------------------------------------------------------------------------------------

/** The docstring and body of torchvision's `_make_divisible`, after each export's own `def` line. */
export const MAKE_DIVISIBLE_BODY = `    """torchvision's channel rounding: the nearest multiple of \`divisor\`, at least \`divisor\`,
    never more than 10% below v."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v`;

export const MBCONV_CONFIG_CLASS = `@dataclass
class MBConvConfig:
    """One row of EfficientNet-B0's Table 1 after width and depth scaling (torchvision's MBConvConfig)."""

    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int`;

/** One MBConvConfig(...) row of the stage table, unindented. */
export const mbconvConfigRow = (st: MBConvStageDesign): string =>
  `MBConvConfig(expand_ratio=${pyNumber(st.expandRatio)}, kernel=${st.kernel}, stride=${st.stride}, input_channels=${st.inputChannels}, out_channels=${st.outChannels}, num_layers=${st.layers}),`;

/** The MBConv block's docstring (indented for a top-level def or class). */
export const MBCONV_DOC = `    """Inverted bottleneck: [1x1 expand, BN, SiLU] (skipped when it would not change the width) ->
    [kxk depthwise, stride, BN, SiLU] -> squeeze-and-excitation -> [1x1 project, BN]
    (+ identity, with stochastic depth, when stride 1 and in = out)."""`;

/** The comment above the squeeze-and-excitation layer, unindented. */
export const SE_SQUEEZE_COMMENT = "# Squeeze to a fraction of the block's *input* channels: max(1, floor(in * se_ratio)).";

export function efficientNetProvenance(d: EfficientNetDesign): string[] {
  const s = d.spec;
  const lines = [`Width x${pyNumber(s.widthMultiplier)} and depth x${pyNumber(s.depthMultiplier)} already applied to the table below:`];
  lines.push('channels = make_divisible(channels * width, 8), layers = ceil(layers * depth).');
  if (s.seRatio === 0) lines.push('Squeeze-and-excitation off.');
  if (!s.shortcuts) lines.push('Identity skips off: no block adds its input.');
  return lines;
}
