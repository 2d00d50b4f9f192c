/**
 * Spec -> one self-contained PyTorch file (torch + torchvision only), written the way torchvision
 * writes ResNet and EfficientNet: block classes, a network class with `_make_layer`, and the
 * design's numbers as constructor arguments. Module names follow the graph's op names, so the
 * `state_dict` keys are the app's parameter names (and torchvision's for its models).
 */
import type { ArchSpec, ValidAnalysis } from '../models/index';
import { type Design, type EfficientNetDesign, type ResNetDesign, designOf } from './design';
import { commentBlock, header, pyBool, pyNumber, pyString, torchvisionName } from './python';
import { trainingScript } from './training';

export interface PyTorchOptions {
  /** Append a CIFAR-10/100 training script (the ResNeXt paper's recipe), run with `--train`. */
  trainingScript?: boolean;
}

export function toPyTorch(spec: ArchSpec, options: PyTorchOptions = {}): string {
  const { analysis, design } = designOf(spec);
  const withTraining = options.trainingScript === true;
  const lines = [
    ...header(analysis, 'PyTorch', usage(analysis, design, withTraining)),
    '',
    ...imports(design, withTraining),
    '',
    ...constants(analysis, design),
    '',
    '',
    ...(design.family === 'resnet' ? resnetModule(design) : efficientNetModule(design)),
    '',
    '',
    ...checkFunction(),
    ...(withTraining ? ['', '', ...trainingScript(analysis.spec)] : []),
    '',
    '',
    'if __name__ == "__main__":',
    withTraining ? '    main()' : '    check()',
  ];
  return `${lines.join('\n')}\n`;
}

function usage(a: ValidAnalysis, design: Design, withTraining: boolean): string[] {
  const tv = torchvisionName(a.spec);
  const lines = [
    'Needs torch and torchvision only. `python3 this_file.py` builds the model, prints its parameter',
    'count beside the app\'s and runs a zero image through it.',
  ];
  if (withTraining) {
    lines.push(
      '`python3 this_file.py --train` trains it on CIFAR-10/100 with the ResNeXt paper\'s recipe, on one',
      'process; `torchrun --nproc_per_node=N this_file.py --train` trains on N processes (GPUs) with',
      'DistributedDataParallel. `--help` lists the options.',
    );
  }
  lines.push(
    '',
    'Module names are the app\'s layer names (torchvision\'s module names), so state_dict keys are',
    '`<layer>.weight`, `.bias`, `.running_mean`, `.running_var` exactly as the app lists them.',
  );
  if (tv) {
    lines.push(
      `This is torchvision's ${tv}: its pretrained weights load as they are,`,
      `  model.load_state_dict(torchvision.models.${tv}(weights="DEFAULT").state_dict())`,
    );
  }
  if (design.family === 'resnet') {
    lines.push(
      '',
      'Blocks are written in form (c) of ResNeXt Fig. 3 (one grouped 3x3 convolution, groups = C),',
      `whatever form the app showed${a.spec.family === 'resnet' && a.spec.form !== 'c' ? ` (it showed form (${a.spec.form}))` : ''}: the three forms are strictly equivalent, with the`,
      'same parameters, and (c) is the compact, fast one that torchvision uses.',
    );
  }
  return lines;
}

function imports(design: Design, withTraining: boolean): string[] {
  const lines = withTraining ? ['import argparse', 'import os', 'import time'] : [];
  if (design.family === 'efficientnet') lines.push('import copy');
  lines.push('from dataclasses import dataclass', 'from typing import List, Optional', '', 'import torch', 'from torch import nn');
  if (withTraining) {
    lines.push('import torch.distributed as dist', 'from torch.nn.parallel import DistributedDataParallel', 'from torch.utils.data import DataLoader, Subset');
    lines.push('from torch.utils.data.distributed import DistributedSampler', 'from torchvision import datasets', 'from torchvision import transforms as T');
  }
  if (design.family === 'efficientnet') lines.push('from torchvision.ops import StochasticDepth');
  return lines;
}

function constants(a: ValidAnalysis, design: Design): string[] {
  const inChannels = design.family === 'resnet' ? design.stem.inChannels : design.inChannels;
  return [
    `MODEL_NAME = ${pyString(a.spec.name)}`,
    `RESOLUTION = ${a.spec.input.resolution}`,
    `IN_CHANNELS = ${inChannels}`,
    `NUM_CLASSES = ${design.classes}`,
    '# The app\'s counts for this design (params exclude BatchNorm running statistics).',
    `APP_PARAMS = ${a.stats.totals.params}`,
    `APP_MACS = ${a.stats.totals.macs}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// ResNet family: ResNet, ResNeXt, Wide ResNet, iResNet (ResStage, max-pool shortcut), ResGroup
// ---------------------------------------------------------------------------------------------

const CONV_HELPERS = `def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """3x3 convolution with symmetric padding 1."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


@dataclass
class StageConfig:
    """One row of the paper's table: \`blocks\` blocks whose 3x3 layers are \`width\` channels wide in
    \`groups\` groups (the cardinality C), producing \`out_channels\`; the first block strides by \`stride\`."""

    blocks: int
    width: int
    out_channels: int
    stride: int
    groups: int = 1`;

const BOTTLENECK = `class Bottleneck(nn.Module):
    """ResNeXt block in form (c) (Fig. 3c): 1x1 (in -> width), 3x3 grouped (width -> width, groups = C,
    stride), 1x1 (width -> out), BatchNorm after each conv, then + shortcut and ReLU. torchvision's
    Bottleneck with width = C * d; with \`shortcut=False\` it is a plain stack (no addition)."""

    def __init__(
        self,
        inplanes: int,
        width: int,
        out_channels: int,
        stride: int = 1,
        groups: int = 1,
        downsample: Optional[nn.Module] = None,
        shortcut: bool = True,
    ) -> None:
        super().__init__()
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride, groups)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.shortcut:
            out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)`;

const BASIC_BLOCK = `class BasicBlock(nn.Module):
    """Two 3x3 layers (in -> width -> out), BatchNorm after each, then + shortcut and ReLU: torchvision's
    BasicBlock. ResNeXt Fig. 4: a depth-2 block with C branches is one dense block of width C * d, so
    its convolutions are never grouped. With \`shortcut=False\` it is a plain stack (no addition)."""

    def __init__(
        self,
        inplanes: int,
        width: int,
        out_channels: int,
        stride: int = 1,
        groups: int = 1,
        downsample: Optional[nn.Module] = None,
        shortcut: bool = True,
    ) -> None:
        super().__init__()
        if groups != 1:
            raise ValueError("a basic block's 3x3 layers are dense (ResNeXt Fig. 4): groups must be 1")
        self.conv1 = conv3x3(inplanes, width, stride)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.shortcut:
            out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)`;

/** iResNet's ResStage roles, shared by both ResStage block classes. */
const RESSTAGE_DOC = `    iResNet ResStage (Duta et al., Sec. 3.1): \`role\` is "start", "middle" or "end".
      start:  F(x) = [conv, BN, ReLU]... conv, BN; + projection shortcut; no ReLU after the addition.
      middle: F(x) = BN, ReLU, [conv, BN, ReLU]... conv (pre-activation); + identity.
      end:    like middle, then BN and ReLU after the addition (they prepare the next stage).
    The first middle block of a stage (\`exclude_bn0\`) starts with ReLU: the start block normalised
    already. So the main path holds one ReLU per stage, whatever the depth.`;

const RESSTAGE_INIT_ARGS = `        inplanes: int,
        width: int,
        out_channels: int,
        stride: int = 1,
        groups: int = 1,
        downsample: Optional[nn.Module] = None,
        shortcut: bool = True,
        role: str = "middle",
        exclude_bn0: bool = False,`;

const RESSTAGE_FORWARD_PRE = `    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.role != "start":
            if self.bn0 is not None:
                out = self.bn0(out)
            # Not in place: when bn0 is excluded, \`out\` is still x, and the identity path needs x itself.
            out = torch.relu(out)`;

/** After F(x): the addition, then (end blocks only) BN and ReLU with the block's last BN. */
const resStageForwardPost = (lastBn: string) => `        if self.shortcut:
            out = out + (x if self.downsample is None else self.downsample(x))
        if self.role == "end":
            out = self.relu(self.${lastBn}(out))
        return out`;

const RESSTAGE_BOTTLENECK = `class ResStageBottleneck(nn.Module):
    """Bottleneck (1x1, 3x3 grouped with groups = C, 1x1) in form (c), placed in a ResStage.

${RESSTAGE_DOC}"""

    def __init__(
        self,
${RESSTAGE_INIT_ARGS}
    ) -> None:
        super().__init__()
        self.role = role
        self.bn0 = nn.BatchNorm2d(inplanes) if role != "start" and not exclude_bn0 else None
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride, groups)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, out_channels)
        # bn3 normalises F(x) in a start block and the sum in an end block; middle blocks have none.
        self.bn3 = nn.BatchNorm2d(out_channels) if role in ("start", "end") else None
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.shortcut = shortcut

${RESSTAGE_FORWARD_PRE}
        out = self.relu(self.bn1(self.conv1(out)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.conv3(out)
        if self.role == "start":
            out = self.bn3(out)
${resStageForwardPost('bn3')}`;

const RESSTAGE_BASIC_BLOCK = `class ResStageBasicBlock(nn.Module):
    """Two dense 3x3 layers (ResNeXt Fig. 4), placed in a ResStage.

${RESSTAGE_DOC}"""

    def __init__(
        self,
${RESSTAGE_INIT_ARGS}
    ) -> None:
        super().__init__()
        if groups != 1:
            raise ValueError("a basic block's 3x3 layers are dense (ResNeXt Fig. 4): groups must be 1")
        self.role = role
        self.bn0 = nn.BatchNorm2d(inplanes) if role != "start" and not exclude_bn0 else None
        self.conv1 = conv3x3(inplanes, width, stride)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, out_channels)
        # bn2 normalises F(x) in a start block and the sum in an end block; middle blocks have none.
        self.bn2 = nn.BatchNorm2d(out_channels) if role in ("start", "end") else None
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.shortcut = shortcut

${RESSTAGE_FORWARD_PRE}
        out = self.relu(self.bn1(self.conv1(out)))
        out = self.conv2(out)
        if self.role == "start":
            out = self.bn2(out)
${resStageForwardPost('bn2')}`;

const PROJECTION = `    def _downsample(self, out_channels: int, stride: int) -> Optional[nn.Module]:
        """Projection shortcut ("type B": 1x1 conv with the block's stride, then BN) where the shape
        changes; identity otherwise."""
        if not self.shortcut or (stride == 1 and self.inplanes == out_channels):
            return None
        return nn.Sequential(conv1x1(self.inplanes, out_channels, stride), nn.BatchNorm2d(out_channels))`;

const MAXPOOL_PROJECTION = `    def _downsample(self, out_channels: int, stride: int) -> Optional[nn.Module]:
        """iResNet's improved projection shortcut where the shape changes: 3x3 max pool with the
        block's stride (a spatial projection that sees every activation), then 1x1 conv, stride 1
        (the channel projection), then BN. Identity otherwise."""
        if not self.shortcut or (stride == 1 and self.inplanes == out_channels):
            return None
        layers: List[nn.Module] = []
        if stride != 1:
            layers.append(nn.MaxPool2d(kernel_size=3, stride=stride, padding=1))
        if self.inplanes != out_channels:
            layers += [conv1x1(self.inplanes, out_channels), nn.BatchNorm2d(out_channels)]
        return nn.Sequential(*layers)`;

const MAKE_LAYER = `    def _make_layer(self, block: type, cfg: StageConfig) -> nn.Sequential:
        layers = []
        for i in range(cfg.blocks):
            stride = cfg.stride if i == 0 else 1
            downsample = self._downsample(cfg.out_channels, stride)
            layers.append(block(self.inplanes, cfg.width, cfg.out_channels, stride, cfg.groups, downsample, self.shortcut))
            self.inplanes = cfg.out_channels
        return nn.Sequential(*layers)`;

const MAKE_RESSTAGE = `    def _make_layer(self, block: type, cfg: StageConfig) -> nn.Sequential:
        """A ResStage: one start block, middle blocks, one end block."""
        layers = []
        for i in range(cfg.blocks):
            stride = cfg.stride if i == 0 else 1
            downsample = self._downsample(cfg.out_channels, stride)
            role = "start" if i == 0 else "end" if i == cfg.blocks - 1 else "middle"
            layers.append(
                block(
                    self.inplanes,
                    cfg.width,
                    cfg.out_channels,
                    stride,
                    cfg.groups,
                    downsample,
                    self.shortcut,
                    role=role,
                    exclude_bn0=(i == 1),
                )
            )
            self.inplanes = cfg.out_channels
        return nn.Sequential(*layers)`;

function resnetClass(d: ResNetDesign): string {
  return `class ResNet(nn.Module):
    """stem -> stages of residual blocks (layer1, layer2, ...) -> global average pool -> FC
    (ResNeXt Table 1)."""

    def __init__(
        self,
        block: type,
        stages: List[StageConfig],
        stem_width: int = 64,
        stem_kernel: int = 7,
        stem_stride: int = 2,
        stem_padding: int = 3,
        stem_max_pool: bool = True,
        shortcut: bool = True,
        in_channels: int = 3,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        self.shortcut = shortcut
        self.inplanes = stem_width
        self.conv1 = nn.Conv2d(
            in_channels, stem_width, kernel_size=stem_kernel, stride=stem_stride, padding=stem_padding, bias=False
        )
        self.bn1 = nn.BatchNorm2d(stem_width)
        self.relu = nn.ReLU(inplace=True)
        # ResNet's 3x3 max pool; iResNet drops it and strides every stage instead.
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if stem_max_pool else nn.Identity()
        self.stage_names: List[str] = []
        for i, cfg in enumerate(stages):
            self.stage_names.append(f"layer{i + 1}")
            self.add_module(self.stage_names[-1], self._make_layer(block, cfg))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(self.inplanes, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

${d.resStage ? MAKE_RESSTAGE : MAKE_LAYER}

${d.improvedShortcut ? MAXPOOL_PROJECTION : PROJECTION}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for name in self.stage_names:
            x = getattr(self, name)(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)`;
}

function blockClassName(d: ResNetDesign): string {
  if (d.resStage) return d.block === 'basic' ? 'ResStageBasicBlock' : 'ResStageBottleneck';
  return d.block === 'basic' ? 'BasicBlock' : 'Bottleneck';
}

function blockClass(d: ResNetDesign): string {
  if (d.resStage) return d.block === 'basic' ? RESSTAGE_BASIC_BLOCK : RESSTAGE_BOTTLENECK;
  return d.block === 'basic' ? BASIC_BLOCK : BOTTLENECK;
}

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

function resnetModule(d: ResNetDesign): string[] {
  const stages = d.stages.map(
    (st) =>
      `            StageConfig(blocks=${st.blocks}, width=${st.width}, out_channels=${st.outChannels}, stride=${st.stride}, groups=${st.groups}),`,
  );
  return [
    CONV_HELPERS,
    '',
    '',
    blockClass(d),
    '',
    '',
    resnetClass(d),
    '',
    '',
    'def build_model(num_classes: int = NUM_CLASSES) -> ResNet:',
    ...commentBlock(resnetProvenance(d)).map((l) => `    ${l}`),
    '    return ResNet(',
    `        ${blockClassName(d)},`,
    '        stages=[',
    ...stages,
    '        ],',
    `        stem_width=${d.stem.width},`,
    `        stem_kernel=${d.stem.kernel},`,
    `        stem_stride=${d.stem.stride},`,
    `        stem_padding=${d.stem.padding},`,
    `        stem_max_pool=${pyBool(d.stem.maxPool)},`,
    `        shortcut=${pyBool(d.shortcuts)},`,
    '        in_channels=IN_CHANNELS,',
    '        num_classes=num_classes,',
    '    )',
  ];
}

// ---------------------------------------------------------------------------------------------
// EfficientNet
// ---------------------------------------------------------------------------------------------

const EFFICIENTNET_CLASSES = `def _make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision's channel rounding: the nearest multiple of \`divisor\`, at least \`divisor\`,
    never more than 10% below v."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


@dataclass
class MBConvConfig:
    """One row of EfficientNet-B0's Table 1 after width and depth scaling (torchvision's MBConvConfig)."""

    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int


class Conv2dNormActivation(nn.Sequential):
    """Conv (symmetric padding kernel // 2) -> BatchNorm -> SiLU, as torchvision's (children 0, 1, 2)."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, groups: int = 1, activation: bool = True
    ) -> None:
        layers: List[nn.Module] = [
            nn.Conv2d(
                in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2, groups=groups, bias=False
            ),
            nn.BatchNorm2d(out_channels),
        ]
        if activation:
            layers.append(nn.SiLU(inplace=True))
        super().__init__(*layers)


class SqueezeExcitation(nn.Module):
    """Global average pool -> 1x1 (squeeze) -> SiLU -> 1x1 (excite) -> sigmoid -> scale, as torchvision's."""

    def __init__(self, input_channels: int, squeeze_channels: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = nn.SiLU(inplace=True)
        self.scale_activation = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return scale * x


class MBConv(nn.Module):
    """Inverted bottleneck: [1x1 expand, BN, SiLU] (skipped when it would not change the width) ->
    [kxk depthwise, stride, BN, SiLU] -> squeeze-and-excitation -> [1x1 project, BN]
    (+ identity, with stochastic depth, when stride 1 and in = out)."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float, se_ratio: float, shortcut: bool) -> None:
        super().__init__()
        self.use_res_connect = shortcut and cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: List[nn.Module] = []
        expanded_channels = _make_divisible(cnf.input_channels * cnf.expand_ratio, 8)
        if expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded_channels, 1))
        layers.append(
            Conv2dNormActivation(expanded_channels, expanded_channels, cnf.kernel, cnf.stride, groups=expanded_channels)
        )
        if se_ratio > 0:
            # Squeeze to a fraction of the block's *input* channels: max(1, floor(in * se_ratio)).
            layers.append(SqueezeExcitation(expanded_channels, max(1, int(cnf.input_channels * se_ratio))))
        layers.append(Conv2dNormActivation(expanded_channels, cnf.out_channels, 1, activation=False))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result = self.block(x)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + x
        return result


class EfficientNet(nn.Module):
    """features (stem, MBConv stages, 1x1 head) -> global average pool -> classifier (dropout, FC),
    with torchvision's module names."""

    def __init__(
        self,
        inverted_residual_setting: List[MBConvConfig],
        dropout: float,
        stem_channels: int,
        last_channel: int,
        se_ratio: float = 0.25,
        shortcut: bool = True,
        stochastic_depth_prob: float = 0.2,
        in_channels: int = 3,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        layers: List[nn.Module] = [Conv2dNormActivation(in_channels, stem_channels, 3, stride=2)]
        total_stage_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        stage_block_id = 0
        for cnf in inverted_residual_setting:
            stage: List[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                # Stochastic depth grows linearly with depth, as torchvision's (training only).
                sd_prob = stochastic_depth_prob * float(stage_block_id) / total_stage_blocks
                stage.append(MBConv(block_cnf, sd_prob, se_ratio, shortcut))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
        layers.append(Conv2dNormActivation(inverted_residual_setting[-1].out_channels, last_channel, 1))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(last_channel, num_classes))

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / m.out_features**0.5
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.classifier(x)`;

export function efficientNetProvenance(d: EfficientNetDesign): string[] {
  const s = d.spec;
  const lines = [`Width x${pyNumber(s.widthMultiplier)} and depth x${pyNumber(s.depthMultiplier)} already applied to the table below:`];
  lines.push('channels = make_divisible(channels * width, 8), layers = ceil(layers * depth).');
  if (s.seRatio === 0) lines.push('Squeeze-and-excitation off.');
  if (!s.shortcuts) lines.push('Identity skips off: no block adds its input.');
  return lines;
}

function efficientNetModule(d: EfficientNetDesign): string[] {
  const rows = d.stages.map(
    (st) =>
      `        MBConvConfig(expand_ratio=${pyNumber(st.expandRatio)}, kernel=${st.kernel}, stride=${st.stride}, input_channels=${st.inputChannels}, out_channels=${st.outChannels}, num_layers=${st.layers}),`,
  );
  return [
    EFFICIENTNET_CLASSES,
    '',
    '',
    'def build_model(num_classes: int = NUM_CLASSES) -> EfficientNet:',
    ...commentBlock(efficientNetProvenance(d)).map((l) => `    ${l}`),
    '    inverted_residual_setting = [',
    ...rows,
    '    ]',
    '    return EfficientNet(',
    '        inverted_residual_setting,',
    `        dropout=${pyNumber(d.dropout)},`,
    `        stem_channels=${d.stemChannels},`,
    `        last_channel=${d.headChannels},`,
    `        se_ratio=${pyNumber(d.seRatio)},`,
    `        shortcut=${pyBool(d.shortcuts)},`,
    '        in_channels=IN_CHANNELS,',
    '        num_classes=num_classes,',
    '    )',
  ];
}

// ---------------------------------------------------------------------------------------------
// The check every export runs: parameter count against the app's, and a forward pass
// ---------------------------------------------------------------------------------------------

function checkFunction(): string[] {
  return [
    'def check() -> None:',
    '    """Builds the model, compares its parameter count with the app\'s and runs one zero image."""',
    '    model = build_model()',
    '    params = sum(p.numel() for p in model.parameters())',
    '    print(f"{MODEL_NAME}: {params} params (ResNeXt Lab counts {APP_PARAMS}: {\'match\' if params == APP_PARAMS else \'MISMATCH\'})")',
    '    model.eval()',
    '    with torch.no_grad():',
    '        output = model(torch.zeros(1, IN_CHANNELS, RESOLUTION, RESOLUTION))',
    '    print(f"output shape for a 1x{IN_CHANNELS}x{RESOLUTION}x{RESOLUTION} input: {tuple(output.shape)}")',
  ];
}
