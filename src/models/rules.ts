/**
 * The papers' sizing rules, one function each, named as the papers and torchvision name them.
 */

/**
 * EfficientNet channel rounding, torchvision's `_make_divisible(v, divisor, min_value=None)`:
 * round to the nearest multiple of `divisor`, at least `divisor`, and never more than 10% below `v`.
 */
export function makeDivisible(v: number, divisor = 8): number {
  let rounded = Math.max(divisor, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

/** EfficientNet depth rounding, torchvision's `adjust_depth`: ceil(layers * depth multiplier). */
export function scaledRepeats(layers: number, depthMultiplier: number): number {
  return Math.ceil(layers * depthMultiplier);
}

/** EfficientNet width rounding, torchvision's `adjust_channels`: make_divisible(channels * width, 8). */
export function scaledChannels(channels: number, widthMultiplier: number): number {
  return makeDivisible(channels * widthMultiplier, 8);
}

/**
 * Compound width scaling applied to a ResNet-family width. torchvision's ResNet has no rounding
 * of its own, so widths are left exactly as written when the multiplier is 1.
 */
export function scaledResNetWidth(channels: number, widthMultiplier: number): number {
  return widthMultiplier === 1 ? channels : makeDivisible(channels * widthMultiplier, 8);
}

/**
 * ResNeXt's bottleneck width: each of the C branches is d channels wide in the first stage and
 * doubles whenever the stage width doubles (template rule ii). torchvision writes this as
 * `int(planes * (base_width / 64.)) * groups`, where 64 is the first stage's planes.
 */
export function groupedWidth(cardinality: number, bottleneckWidth: number, planes: number, firstStagePlanes: number): number {
  return cardinality * Math.floor((bottleneckWidth * planes) / firstStagePlanes);
}

/** Squeeze-and-excitation width: max(1, floor(block input channels * ratio)). */
export function squeezeChannels(blockInput: number, seRatio: number): number {
  return Math.max(1, Math.floor(blockInput * seRatio));
}
