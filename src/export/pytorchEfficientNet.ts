/**
 * The PyTorch export of EfficientNet: torchvision's `_make_divisible`, `MBConvConfig`,
 * `Conv2dNormActivation`, `SqueezeExcitation`, `MBConv` and `EfficientNet`, with torchvision's
 * module names, and `build_model` with the scaled stage table. Assembled by `toPyTorch` (pytorch.ts).
 */
import { EFFICIENTNET_DEFAULTS, IMAGENET_INPUT, SPEC_DEFAULTS } from '../models/index';
import type { EfficientNetDesign } from './design';
import { commentBlock, pyBool, pyNumber } from './python';
import { MAKE_DIVISIBLE_BODY, MBCONV_CONFIG_CLASS, MBCONV_DOC, SE_SQUEEZE_COMMENT, efficientNetProvenance, mbconvConfigRow } from './snippets';

const EFFICIENTNET_CLASSES = `def _make_divisible(v: float, divisor: int = 8) -> int:
${MAKE_DIVISIBLE_BODY}


${MBCONV_CONFIG_CLASS}


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
${MBCONV_DOC}

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
            ${SE_SQUEEZE_COMMENT}
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
        se_ratio: float = ${pyNumber(EFFICIENTNET_DEFAULTS.seRatio)},
        shortcut: bool = ${pyBool(SPEC_DEFAULTS.shortcuts)},
        stochastic_depth_prob: float = 0.2,
        in_channels: int = ${IMAGENET_INPUT.channels},
        num_classes: int = ${IMAGENET_INPUT.classes},
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

export function efficientNetModule(d: EfficientNetDesign): string[] {
  return [
    EFFICIENTNET_CLASSES,
    '',
    '',
    'def build_model(num_classes: int = NUM_CLASSES) -> EfficientNet:',
    ...commentBlock(efficientNetProvenance(d)).map((l) => `    ${l}`),
    '    inverted_residual_setting = [',
    ...d.stages.map((st) => `        ${mbconvConfigRow(st)}`),
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
