# resnet18: PyTorch model exported from ResNeXt Lab.
#
# params: 11,689,512 = conv weights (+ bias) + BatchNorm gamma/beta + FC weight/bias
#         (BatchNorm running statistics are buffers, not parameters).
# MACs:   1,814,073,344 at 224x224: conv and linear multiply-adds only; FLOPs = 2 x MACs.
#
# Needs torch and torchvision only. `python3 this_file.py` builds the model, prints its parameter
# count beside the app's and runs a zero image through it.
#
# Module names are the app's layer names (torchvision's module names), so state_dict keys are
# `<layer>.weight`, `.bias`, `.running_mean`, `.running_var` exactly as the app lists them.
# This is torchvision's resnet18: its pretrained weights load as they are,
#   model.load_state_dict(torchvision.models.resnet18(weights="DEFAULT").state_dict())
#
# Blocks are written in form (c) of ResNeXt Fig. 3 (one grouped 3x3 convolution, groups = C),
# whatever form the app showed: the three forms are strictly equivalent, with the
# same parameters, and (c) is the compact, fast one that torchvision uses.
#
# The spec this file was generated from:
# {
#   "family": "resnet",
#   "name": "resnet18",
#   "block": "basic",
#   "bottleneckWidth": 64,
#   "cardinality": 1,
#   "depthMultiplier": 1,
#   "expansion": 1,
#   "form": "c",
#   "improvedShortcut": false,
#   "input": {"channels":3,"classes":1000,"resolution":224},
#   "resStage": false,
#   "shortcuts": true,
#   "stages": [
#     {"blocks":2,"planes":64,"stride":1},
#     {"blocks":2,"planes":128,"stride":2},
#     {"blocks":2,"planes":256,"stride":2},
#     {"blocks":2,"planes":512,"stride":2}
#   ],
#   "stem": {"kernel":7,"maxPool":true,"stride":2,"width":64},
#   "widthMultiplier": 1
# }

from dataclasses import dataclass
from typing import List, Optional

import torch
from torch import nn

MODEL_NAME = "resnet18"
RESOLUTION = 224
IN_CHANNELS = 3
NUM_CLASSES = 1000
# The app's counts for this design (params exclude BatchNorm running statistics).
APP_PARAMS = 11689512
APP_MACS = 1814073344


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """3x3 convolution with symmetric padding 1."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


@dataclass
class StageConfig:
    """One row of the paper's table: `blocks` blocks whose 3x3 layers are `width` channels wide in
    `groups` groups (the cardinality C), producing `out_channels`; the first block strides by `stride`."""

    blocks: int
    width: int
    out_channels: int
    stride: int
    groups: int = 1


class BasicBlock(nn.Module):
    """Two 3x3 layers (in -> width -> out), BatchNorm after each, then + shortcut and ReLU: torchvision's
    BasicBlock. ResNeXt Fig. 4: a depth-2 block with C branches is one dense block of width C * d, so
    its convolutions are never grouped. With `shortcut=False` it is a plain stack (no addition)."""

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
        return self.relu(out)


class ResNet(nn.Module):
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

    def _make_layer(self, block: type, cfg: StageConfig) -> nn.Sequential:
        layers = []
        for i in range(cfg.blocks):
            stride = cfg.stride if i == 0 else 1
            downsample = self._downsample(cfg.out_channels, stride)
            layers.append(block(self.inplanes, cfg.width, cfg.out_channels, stride, cfg.groups, downsample, self.shortcut))
            self.inplanes = cfg.out_channels
        return nn.Sequential(*layers)

    def _downsample(self, out_channels: int, stride: int) -> Optional[nn.Module]:
        """Projection shortcut ("type B": 1x1 conv with the block's stride, then BN) where the shape
        changes; identity otherwise."""
        if not self.shortcut or (stride == 1 and self.inplanes == out_channels):
            return None
        return nn.Sequential(conv1x1(self.inplanes, out_channels, stride), nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for name in self.stage_names:
            x = getattr(self, name)(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def build_model(num_classes: int = NUM_CLASSES) -> ResNet:
    # Basic blocks, cardinality C = 1, bottleneck width d = 64, expansion 1:
    # width = C * d in the first stage, doubling with the stage width (template rule ii).
    return ResNet(
        BasicBlock,
        stages=[
            StageConfig(blocks=2, width=64, out_channels=64, stride=1, groups=1),
            StageConfig(blocks=2, width=128, out_channels=128, stride=2, groups=1),
            StageConfig(blocks=2, width=256, out_channels=256, stride=2, groups=1),
            StageConfig(blocks=2, width=512, out_channels=512, stride=2, groups=1),
        ],
        stem_width=64,
        stem_kernel=7,
        stem_stride=2,
        stem_padding=3,
        stem_max_pool=True,
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
