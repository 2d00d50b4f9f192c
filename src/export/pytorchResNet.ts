/**
 * The PyTorch export of the ResNet family (ResNet, ResNeXt, Wide ResNet, iResNet with ResStage and
 * the max-pool shortcut, ResGroup): conv helpers, the block classes, the network class with
 * `_make_layer`, and `build_model` with the design's numbers. Assembled by `toPyTorch` (pytorch.ts).
 */
import { IMAGENET_INPUT, RESNET_DEFAULTS, SPEC_DEFAULTS } from '../models/index';
import type { ResNetDesign } from './design';
import { commentBlock, pyBool } from './python';
import {
  MAXPOOL_PROJECTION_DOC,
  PROJECTION_DOC,
  RESSTAGE_DOC,
  STAGE_CONFIG_CLASS,
  indent,
  resnetProvenance,
  stageConfigRow,
} from './snippets';

/** A basic block's 3x3 layers are never grouped (ResNeXt Fig. 4). */
const DENSE_BASIC_CHECK = `        if groups != 1:
            raise ValueError("a basic block's 3x3 layers are dense (ResNeXt Fig. 4): groups must be 1")`;

const CONV_HELPERS = `def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """3x3 convolution with symmetric padding 1."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


${STAGE_CONFIG_CLASS}`;

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
${DENSE_BASIC_CHECK}
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
${DENSE_BASIC_CHECK}
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
${indent(PROJECTION_DOC, '        ')}
        if not self.shortcut or (stride == 1 and self.inplanes == out_channels):
            return None
        return nn.Sequential(conv1x1(self.inplanes, out_channels, stride), nn.BatchNorm2d(out_channels))`;

const MAXPOOL_PROJECTION = `    def _downsample(self, out_channels: int, stride: int) -> Optional[nn.Module]:
${indent(MAXPOOL_PROJECTION_DOC, '        ')}
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

/** The network class; its keyword defaults are the spec's (ResNet-50's stem, ImageNet's input). */
function resnetClass(d: ResNetDesign): string {
  const stem = RESNET_DEFAULTS.stem;
  return `class ResNet(nn.Module):
    """stem -> stages of residual blocks (layer1, layer2, ...) -> global average pool -> FC
    (ResNeXt Table 1)."""

    def __init__(
        self,
        block: type,
        stages: List[StageConfig],
        stem_width: int = ${stem.width},
        stem_kernel: int = ${stem.kernel},
        stem_stride: int = ${stem.stride},
        stem_padding: int = ${Math.floor(stem.kernel / 2)},
        stem_max_pool: bool = ${pyBool(stem.maxPool)},
        shortcut: bool = ${pyBool(SPEC_DEFAULTS.shortcuts)},
        in_channels: int = ${IMAGENET_INPUT.channels},
        num_classes: int = ${IMAGENET_INPUT.classes},
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

export function resnetModule(d: ResNetDesign): string[] {
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
    ...d.stages.map((st) => `            ${stageConfigRow(st)}`),
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
