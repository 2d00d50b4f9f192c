# efficientnet_b0: PyTorch model exported from ResNeXt Lab.
#
# params: 5,288,548 = conv weights (+ bias) + BatchNorm gamma/beta + FC weight/bias
#         (BatchNorm running statistics are buffers, not parameters).
# MACs:   385,814,752 at 224x224: conv and linear multiply-adds only; FLOPs = 2 x MACs.
#
# Needs torch and torchvision only. `python3 this_file.py` builds the model, prints its parameter
# count beside the app's and runs a zero image through it.
#
# Module names are the app's layer names (torchvision's module names), so state_dict keys are
# `<layer>.weight`, `.bias`, `.running_mean`, `.running_var` exactly as the app lists them.
# This is torchvision's efficientnet_b0: its pretrained weights load as they are,
#   model.load_state_dict(torchvision.models.efficientnet_b0(weights="DEFAULT").state_dict())
#
# The spec this file was generated from:
# {
#   "family": "efficientnet",
#   "name": "efficientnet_b0",
#   "depthMultiplier": 1,
#   "dropout": 0.2,
#   "headChannels": 1280,
#   "input": {"channels":3,"classes":1000,"resolution":224},
#   "seRatio": 0.25,
#   "shortcuts": true,
#   "stages": [
#     {"channels":16,"expandRatio":1,"kernel":3,"layers":1,"stride":1},
#     {"channels":24,"expandRatio":6,"kernel":3,"layers":2,"stride":2},
#     {"channels":40,"expandRatio":6,"kernel":5,"layers":2,"stride":2},
#     {"channels":80,"expandRatio":6,"kernel":3,"layers":3,"stride":2},
#     {"channels":112,"expandRatio":6,"kernel":5,"layers":3,"stride":1},
#     {"channels":192,"expandRatio":6,"kernel":5,"layers":4,"stride":2},
#     {"channels":320,"expandRatio":6,"kernel":3,"layers":1,"stride":1}
#   ],
#   "stemChannels": 32,
#   "widthMultiplier": 1
# }

import copy
from dataclasses import dataclass
from typing import List, Optional

import torch
from torch import nn
from torchvision.ops import StochasticDepth

MODEL_NAME = "efficientnet_b0"
RESOLUTION = 224
IN_CHANNELS = 3
NUM_CLASSES = 1000
# The app's counts for this design (params exclude BatchNorm running statistics).
APP_PARAMS = 5288548
APP_MACS = 385814752


def _make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision's channel rounding: the nearest multiple of `divisor`, at least `divisor`,
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
        return self.classifier(x)


def build_model(num_classes: int = NUM_CLASSES) -> EfficientNet:
    # Width x1 and depth x1 already applied to the table below:
    # channels = make_divisible(channels * width, 8), layers = ceil(layers * depth).
    inverted_residual_setting = [
        MBConvConfig(expand_ratio=1, kernel=3, stride=1, input_channels=32, out_channels=16, num_layers=1),
        MBConvConfig(expand_ratio=6, kernel=3, stride=2, input_channels=16, out_channels=24, num_layers=2),
        MBConvConfig(expand_ratio=6, kernel=5, stride=2, input_channels=24, out_channels=40, num_layers=2),
        MBConvConfig(expand_ratio=6, kernel=3, stride=2, input_channels=40, out_channels=80, num_layers=3),
        MBConvConfig(expand_ratio=6, kernel=5, stride=1, input_channels=80, out_channels=112, num_layers=3),
        MBConvConfig(expand_ratio=6, kernel=5, stride=2, input_channels=112, out_channels=192, num_layers=4),
        MBConvConfig(expand_ratio=6, kernel=3, stride=1, input_channels=192, out_channels=320, num_layers=1),
    ]
    return EfficientNet(
        inverted_residual_setting,
        dropout=0.2,
        stem_channels=32,
        last_channel=1280,
        se_ratio=0.25,
        shortcut=True,
        in_channels=IN_CHANNELS,
        num_classes=num_classes,
    )


def check() -> None:
    """Builds the model, compares its parameter count with the app's and runs one zero image."""
    model = build_model()
    params = sum(p.numel() for p in model.parameters())
    print(f"{MODEL_NAME}: {params} params (ResNeXt Lab counts {APP_PARAMS}: {'match' if params == APP_PARAMS else 'MISMATCH'})")
    model.eval()
    with torch.no_grad():
        output = model(torch.zeros(1, IN_CHANNELS, RESOLUTION, RESOLUTION))
    print(f"output shape for a 1x{IN_CHANNELS}x{RESOLUTION}x{RESOLUTION} input: {tuple(output.shape)}")


if __name__ == "__main__":
    check()
