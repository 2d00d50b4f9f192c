/**
 * Spec -> one Keras 3 file: the same network as the PyTorch export, built with the functional API.
 * Layer names are the graph's op names with `.` -> `_` (`layer1.0.conv2` -> `layer1_0_conv2`);
 * padding is PyTorch's (symmetric ZeroPadding2D, then a 'valid' layer), BatchNorm is PyTorch's
 * (epsilon 1e-5, momentum 0.1 = Keras momentum 0.9), grouped convs are Conv2D(groups=C).
 */
import { type ArchSpec, BN_EPSILON, type ValidAnalysis } from '../models/index';
import { type Design, type EfficientNetDesign, type ResNetDesign, designOf } from './design';
import { commentBlock, header, identifierName, pyBool, pyNumber, pyString } from './python';
import {
  MAKE_DIVISIBLE_BODY,
  MAXPOOL_PROJECTION_DOC,
  MBCONV_CONFIG_CLASS,
  MBCONV_DOC,
  PROJECTION_DOC,
  RESSTAGE_DOC,
  SE_SQUEEZE_COMMENT,
  STAGE_CONFIG_CLASS,
  countVerdict,
  efficientNetProvenance,
  formNote,
  indent,
  mbconvConfigRow,
  modelConstants,
  resnetProvenance,
  stageConfigRow,
} from './snippets';

export function toKeras(spec: ArchSpec): string {
  const { analysis, design } = designOf(spec);
  const lines = [
    ...header(analysis, 'Keras 3', usage(analysis, design)),
    '',
    'import math',
    'from dataclasses import dataclass',
    '',
    'import keras',
    'import numpy as np',
    'from keras import layers',
    '',
    ...modelConstants(analysis, design, "The app's count, which equals the model's *trainable* parameters (see check())."),
    '',
    '',
    COMMON,
    '',
    '',
    ...(design.family === 'resnet' ? resnetModel(design) : efficientNetModel(design)),
    '',
    '',
    LOAD_WEIGHTS,
    '',
    '',
    CHECK,
    '',
    '',
    'if __name__ == "__main__":',
    '    check()',
  ];
  return `${lines.join('\n')}\n`;
}

function usage(a: ValidAnalysis, design: Design): string[] {
  const lines = [
    'Needs Keras 3 (any backend: JAX, TensorFlow or PyTorch). `python3 this_file.py` builds the',
    "model, prints its parameter counts beside the app's and runs a zero image through it.",
    'Keras is channels-last: inputs are (batch, height, width, channels).',
    '',
    "Layer names are the app's layer names with '.' -> '_' (layer1.0.conv2 -> layer1_0_conv2), so",
    "load_pytorch_weights() can copy the PyTorch export's state_dict (or torchvision's, for its",
    'models) into this model.',
  ];
  if (design.family === 'resnet') {
    lines.push(...formNote(a.spec, 'same parameters.'));
  }
  return lines;
}

const COMMON = `def conv2d(x, filters, kernel_size, stride=1, padding=0, groups=1, use_bias=False, name=None):
    """PyTorch's Conv2d: symmetric zero padding, then a 'valid' convolution. (Keras's 'same' pads
    more on the bottom/right when the stride is 2, which would shift every later feature map.)"""
    if padding:
        x = layers.ZeroPadding2D(padding, name=f"{name}_pad")(x)
    return layers.Conv2D(
        filters, kernel_size, strides=stride, padding="valid", groups=groups, use_bias=use_bias, name=name
    )(x)


def batch_norm(x, name):
    """PyTorch's BatchNorm2d: epsilon ${BN_EPSILON.toExponential()}, running statistics updated by 0.1 per step (Keras momentum 0.9)."""
    return layers.BatchNormalization(epsilon=${BN_EPSILON.toExponential()}, momentum=0.9, name=name)(x)`;

// ---------------------------------------------------------------------------------------------
// ResNet family
// ---------------------------------------------------------------------------------------------

const STAGE_CONFIG = `${STAGE_CONFIG_CLASS}


def max_pool(x, stride, name):
    """3x3 max pool, padding 1. PyTorch pads with -inf; zeros give the same result here because every
    max pool in this network follows a ReLU (its inputs are >= 0)."""
    x = layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
    return layers.MaxPooling2D(3, strides=stride, name=name)(x)`;

const PROJECTION = `def shortcut_branch(x, out_channels, stride, name):
${indent(PROJECTION_DOC, '    ')}
    if stride == 1 and x.shape[-1] == out_channels:
        return x
    s = conv2d(x, out_channels, 1, stride, name=f"{name}_downsample_0")
    return batch_norm(s, f"{name}_downsample_1")`;

const MAXPOOL_PROJECTION = `def shortcut_branch(x, out_channels, stride, name):
${indent(MAXPOOL_PROJECTION_DOC, '    ')}
    if stride == 1 and x.shape[-1] == out_channels:
        return x
    s, i = x, 0
    if stride != 1:
        s = max_pool(s, stride, f"{name}_downsample_0")
        i = 1
    if x.shape[-1] != out_channels:
        s = conv2d(s, out_channels, 1, name=f"{name}_downsample_{i}")
        s = batch_norm(s, f"{name}_downsample_{i + 1}")
    return s`;

const BOTTLENECK = `def bottleneck(x, cfg, stride, shortcut, name):
    """ResNeXt block in form (c): 1x1 (width), 3x3 grouped (width, groups = C, stride), 1x1 (out),
    BN after each conv, then + shortcut and ReLU (no addition when shortcut is False)."""
    out = conv2d(x, cfg.width, 1, name=f"{name}_conv1")
    out = layers.ReLU(name=f"{name}_relu1")(batch_norm(out, f"{name}_bn1"))
    out = conv2d(out, cfg.width, 3, stride, padding=1, groups=cfg.groups, name=f"{name}_conv2")
    out = layers.ReLU(name=f"{name}_relu2")(batch_norm(out, f"{name}_bn2"))
    out = conv2d(out, cfg.out_channels, 1, name=f"{name}_conv3")
    out = batch_norm(out, f"{name}_bn3")
    if shortcut:
        out = layers.Add(name=f"{name}_add")([out, shortcut_branch(x, cfg.out_channels, stride, name)])
    return layers.ReLU(name=f"{name}_relu")(out)`;

const BASIC_BLOCK = `def basic_block(x, cfg, stride, shortcut, name):
    """Two dense 3x3 layers (width, then out), BN after each, then + shortcut and ReLU. ResNeXt Fig. 4:
    a depth-2 block with C branches is one dense block of width C * d."""
    out = conv2d(x, cfg.width, 3, stride, padding=1, name=f"{name}_conv1")
    out = layers.ReLU(name=f"{name}_relu1")(batch_norm(out, f"{name}_bn1"))
    out = conv2d(out, cfg.out_channels, 3, padding=1, name=f"{name}_conv2")
    out = batch_norm(out, f"{name}_bn2")
    if shortcut:
        out = layers.Add(name=f"{name}_add")([out, shortcut_branch(x, cfg.out_channels, stride, name)])
    return layers.ReLU(name=f"{name}_relu")(out)`;

const resStagePre = `    out = x
    if role != "start":
        if not exclude_bn0:
            out = batch_norm(out, f"{name}_bn0")
        out = layers.ReLU(name=f"{name}_relu0")(out)`;

const resStagePost = (lastBn: string) => `    if role == "start":
        out = batch_norm(out, f"{name}_${lastBn}")
    if shortcut:
        out = layers.Add(name=f"{name}_add")([out, shortcut_branch(x, cfg.out_channels, stride, name)])
    if role == "end":
        out = layers.ReLU(name=f"{name}_relu")(batch_norm(out, f"{name}_${lastBn}"))
    return out`;

const RESSTAGE_BOTTLENECK = `def resstage_bottleneck(x, cfg, stride, shortcut, role, exclude_bn0, name):
    """Bottleneck (1x1, 3x3 grouped with groups = C, 1x1) in form (c), placed in a ResStage.

${RESSTAGE_DOC}"""
${resStagePre}
    out = conv2d(out, cfg.width, 1, name=f"{name}_conv1")
    out = layers.ReLU(name=f"{name}_relu1")(batch_norm(out, f"{name}_bn1"))
    out = conv2d(out, cfg.width, 3, stride, padding=1, groups=cfg.groups, name=f"{name}_conv2")
    out = layers.ReLU(name=f"{name}_relu2")(batch_norm(out, f"{name}_bn2"))
    out = conv2d(out, cfg.out_channels, 1, name=f"{name}_conv3")
${resStagePost('bn3')}`;

const RESSTAGE_BASIC_BLOCK = `def resstage_basic_block(x, cfg, stride, shortcut, role, exclude_bn0, name):
    """Two dense 3x3 layers (ResNeXt Fig. 4), placed in a ResStage.

${RESSTAGE_DOC}"""
${resStagePre}
    out = conv2d(out, cfg.width, 3, stride, padding=1, name=f"{name}_conv1")
    out = layers.ReLU(name=f"{name}_relu1")(batch_norm(out, f"{name}_bn1"))
    out = conv2d(out, cfg.out_channels, 3, padding=1, name=f"{name}_conv2")
${resStagePost('bn2')}`;

function blockFunction(d: ResNetDesign): { name: string; code: string } {
  if (d.resStage) {
    return d.block === 'basic'
      ? { name: 'resstage_basic_block', code: RESSTAGE_BASIC_BLOCK }
      : { name: 'resstage_bottleneck', code: RESSTAGE_BOTTLENECK };
  }
  return d.block === 'basic' ? { name: 'basic_block', code: BASIC_BLOCK } : { name: 'bottleneck', code: BOTTLENECK };
}

function resnetModel(d: ResNetDesign): string[] {
  const block = blockFunction(d);
  const blockCall = d.resStage
    ? [
        '            role = "start" if j == 0 else "end" if j == cfg.blocks - 1 else "middle"',
        `            x = ${block.name}(x, cfg, stride, SHORTCUT, role, exclude_bn0=(j == 1), name=f"layer{i + 1}_{j}")`,
      ]
    : [`            x = ${block.name}(x, cfg, stride, SHORTCUT, name=f"layer{i + 1}_{j}")`];
  const s = d.stem;
  return [
    STAGE_CONFIG,
    '',
    '',
    d.improvedShortcut ? MAXPOOL_PROJECTION : PROJECTION,
    '',
    '',
    block.code,
    '',
    '',
    ...commentBlock(resnetProvenance(d)),
    'STAGES = [',
    ...d.stages.map(
      (st) => `    ${stageConfigRow(st)}`,
    ),
    ']',
    `SHORTCUT = ${pyBool(d.shortcuts)}`,
    '',
    '',
    'def build_model(num_classes=NUM_CLASSES):',
    '    """stem -> stages of residual blocks -> global average pool -> FC (ResNeXt Table 1)."""',
    '    inputs = keras.Input(shape=(RESOLUTION, RESOLUTION, IN_CHANNELS), name="input")',
    `    x = conv2d(inputs, ${s.width}, ${s.kernel}, ${s.stride}, padding=${s.padding}, name="conv1")`,
    '    x = layers.ReLU(name="relu")(batch_norm(x, "bn1"))',
    ...(s.maxPool ? ['    x = max_pool(x, 2, "maxpool")'] : ['    # No max pool after the stem (iResNet strides every stage instead).']),
    '    for i, cfg in enumerate(STAGES):',
    '        for j in range(cfg.blocks):',
    '            stride = cfg.stride if j == 0 else 1',
    ...blockCall,
    '    x = layers.GlobalAveragePooling2D(name="avgpool")(x)',
    '    outputs = layers.Dense(num_classes, name="fc")(x)',
    `    return keras.Model(inputs, outputs, name=${pyString(identifierName(d.spec.name))})`,
  ];
}

// ---------------------------------------------------------------------------------------------
// EfficientNet
// ---------------------------------------------------------------------------------------------

const EFFICIENTNET_FUNCTIONS = `def make_divisible(v, divisor=8):
${MAKE_DIVISIBLE_BODY}


${MBCONV_CONFIG_CLASS}


def conv_bn_act(x, filters, kernel_size, stride=1, activation=True, name=None):
    """torchvision's Conv2dNormActivation: {name}_0 conv, {name}_1 BN, {name}_2 SiLU."""
    x = conv2d(x, filters, kernel_size, stride, padding=kernel_size // 2, name=f"{name}_0")
    x = batch_norm(x, f"{name}_1")
    return layers.Activation("silu", name=f"{name}_2")(x) if activation else x


def depthwise_bn_act(x, kernel_size, stride, name):
    """The kxk depthwise layer. DepthwiseConv2D is Conv2D(groups=channels) with the same parameters
    (kernel layout (k, k, channels, 1)) and runs on every backend."""
    x = layers.ZeroPadding2D(kernel_size // 2, name=f"{name}_0_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="valid", use_bias=False, name=f"{name}_0")(x)
    x = batch_norm(x, f"{name}_1")
    return layers.Activation("silu", name=f"{name}_2")(x)


def squeeze_excitation(x, squeeze_channels, name):
    """Global average pool -> 1x1 (squeeze) -> SiLU -> 1x1 (excite) -> sigmoid -> scale."""
    s = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_avgpool")(x)
    s = layers.Conv2D(squeeze_channels, 1, name=f"{name}_fc1")(s)
    s = layers.Activation("silu", name=f"{name}_activation")(s)
    s = layers.Conv2D(x.shape[-1], 1, name=f"{name}_fc2")(s)
    s = layers.Activation("sigmoid", name=f"{name}_scale_activation")(s)
    return layers.Multiply(name=f"{name}_scale")([x, s])


def mbconv(x, cnf, stride, drop_rate, name):
${MBCONV_DOC}
    inputs = x
    input_channels = x.shape[-1]
    expanded_channels = make_divisible(input_channels * cnf.expand_ratio, 8)
    j = 0
    if expanded_channels != input_channels:
        x = conv_bn_act(x, expanded_channels, 1, name=f"{name}_block_{j}")
        j += 1
    x = depthwise_bn_act(x, cnf.kernel, stride, name=f"{name}_block_{j}")
    j += 1
    if SE_RATIO > 0:
        ${SE_SQUEEZE_COMMENT}
        x = squeeze_excitation(x, max(1, int(input_channels * SE_RATIO)), name=f"{name}_block_{j}")
        j += 1
    x = conv_bn_act(x, cnf.out_channels, 1, activation=False, name=f"{name}_block_{j}")
    if SHORTCUT and stride == 1 and input_channels == cnf.out_channels:
        # Stochastic depth (training only): drops the whole residual of a sample, as torchvision's "row" mode.
        x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}_stochastic_depth")(x)
        x = layers.Add(name=f"{name}_add")([x, inputs])
    return x`;

function efficientNetModel(d: EfficientNetDesign): string[] {
  return [
    EFFICIENTNET_FUNCTIONS,
    '',
    '',
    ...commentBlock(efficientNetProvenance(d)),
    'INVERTED_RESIDUAL_SETTING = [',
    ...d.stages.map(
      (st) =>
        `    ${mbconvConfigRow(st)}`,
    ),
    ']',
    `SE_RATIO = ${pyNumber(d.seRatio)}`,
    `SHORTCUT = ${pyBool(d.shortcuts)}`,
    '# torchvision\'s stochastic depth: 0.2 * (block index / blocks), growing with depth.',
    'STOCHASTIC_DEPTH_PROB = 0.2',
    '',
    '',
    'def build_model(num_classes=NUM_CLASSES):',
    '    """features (stem, MBConv stages, 1x1 head) -> global average pool -> classifier (dropout, FC)."""',
    '    inputs = keras.Input(shape=(RESOLUTION, RESOLUTION, IN_CHANNELS), name="input")',
    `    x = conv_bn_act(inputs, ${d.stemChannels}, 3, 2, name="features_0")`,
    '    total_blocks = sum(cnf.num_layers for cnf in INVERTED_RESIDUAL_SETTING)',
    '    block_id = 0',
    '    for i, cnf in enumerate(INVERTED_RESIDUAL_SETTING):',
    '        for j in range(cnf.num_layers):',
    '            drop_rate = STOCHASTIC_DEPTH_PROB * block_id / total_blocks',
    '            x = mbconv(x, cnf, cnf.stride if j == 0 else 1, drop_rate, name=f"features_{i + 1}_{j}")',
    '            block_id += 1',
    `    x = conv_bn_act(x, ${d.headChannels}, 1, name=f"features_{len(INVERTED_RESIDUAL_SETTING) + 1}")`,
    '    x = layers.GlobalAveragePooling2D(name="avgpool")(x)',
    `    x = layers.Dropout(${pyNumber(d.dropout)}, name="classifier_0")(x)`,
    '    outputs = layers.Dense(num_classes, name="classifier_1")(x)',
    `    return keras.Model(inputs, outputs, name=${pyString(identifierName(d.spec.name))})`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Weights from PyTorch, and the check
// ---------------------------------------------------------------------------------------------

const LOAD_WEIGHTS = `def load_pytorch_weights(model, state_dict):
    """Copies a PyTorch state_dict (the PyTorch export's, or torchvision's for its models) into
    \`model\`. Layer \`a_b_c\` takes module \`a.b.c\`'s tensors (no module with weights has '_' in its
    name), moved to Keras's channels-last layouts."""

    def tensor(key):
        v = state_dict[key]
        return v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)

    for layer in model.layers:
        if not layer.weights:
            continue
        module = layer.name.replace("_", ".")
        if isinstance(layer, layers.DepthwiseConv2D):
            # (channels, 1, k, k) -> (k, k, channels, 1)
            weights = [tensor(f"{module}.weight").transpose(2, 3, 0, 1)]
        elif isinstance(layer, layers.Conv2D):
            # (out, in / groups, kh, kw) -> (kh, kw, in / groups, out)
            weights = [tensor(f"{module}.weight").transpose(2, 3, 1, 0)]
            if layer.use_bias:
                weights.append(tensor(f"{module}.bias"))
        elif isinstance(layer, layers.BatchNormalization):
            weights = [tensor(f"{module}.{k}") for k in ("weight", "bias", "running_mean", "running_var")]
        elif isinstance(layer, layers.Dense):
            weights = [tensor(f"{module}.weight").T, tensor(f"{module}.bias")]
        else:
            raise ValueError(f"no PyTorch counterpart for layer {layer.name}")
        layer.set_weights(weights)`;

const CHECK = `def check():
    """Builds the model, compares its parameter counts with the app's and runs one zero image."""
    model = build_model()
    # Keras counts BatchNorm's moving mean and variance as (non-trainable) weights; PyTorch and the
    # app do not (they are buffers). So the *trainable* count is the one that equals the app's.
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    print(f"{MODEL_NAME}: model.count_params() = {model.count_params()} (with BatchNorm moving statistics)")
    print(f"trainable params = {trainable} ${countVerdict('trainable')}")
    output = model(np.zeros((1, RESOLUTION, RESOLUTION, IN_CHANNELS), dtype="float32"))
    print(f"output shape for a 1x{RESOLUTION}x{RESOLUTION}x{IN_CHANNELS} input: {tuple(output.shape)}")`;
