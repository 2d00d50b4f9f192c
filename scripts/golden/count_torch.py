#!/usr/bin/python3
"""Golden parameter and MAC counts for a set of CNNs, computed with PyTorch.

Run with Debian's python (torch 1.13 / torchvision 0.14):

    /usr/bin/python3 scripts/golden/count_torch.py > scripts/golden/torch-counts.json

Prints one JSON object (sorted keys, indent 2) to stdout:

    { "<preset>": {"params": int, "macs": int, "resolution": int, "classes": int}, ... }

Counting convention:
  * params = sum(p.numel() for p in model.parameters())  (BN running stats are
    buffers and therefore excluded).
  * MACs   = Conv2d and Linear layers only, measured with forward hooks on one
    image (batch 1):
        Conv2d: output.numel() * (in_channels / groups) * kh * kw   (no bias)
        Linear: in_features * out_features
    Nothing else (BN, activations, pooling, additions, SE scaling) is counted.
"""

import json
import sys

import torch
import torch.nn as nn
import torchvision.models as tvm
from torchvision.models.resnet import Bottleneck as TVBottleneck
from torchvision.models.resnet import ResNet as TVResNet


# ---------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------

def count_params(model):
    return sum(p.numel() for p in model.parameters())


def count_macs(model, resolution):
    total = [0]

    def conv_hook(module, inputs, output):
        kh, kw = module.kernel_size
        total[0] += output.numel() * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module, inputs, output):
        total[0] += module.in_features * module.out_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))

    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, resolution, resolution))
    for h in handles:
        h.remove()
    return total[0]


def measure(model, resolution, classes):
    return {
        "params": int(count_params(model)),
        "macs": int(count_macs(model, resolution)),
        "resolution": int(resolution),
        "classes": int(classes),
    }


# ---------------------------------------------------------------------------
# 1 + 2. torchvision models
# ---------------------------------------------------------------------------

TORCHVISION_MODELS = [
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
    "wide_resnet50_2",
]

EFFICIENTNET_RESOLUTIONS = {
    "efficientnet_b0": 224, "efficientnet_b1": 240, "efficientnet_b2": 260,
    "efficientnet_b3": 300, "efficientnet_b4": 380, "efficientnet_b5": 456,
    "efficientnet_b6": 528, "efficientnet_b7": 600,
}


def torchvision_presets():
    for name in TORCHVISION_MODELS:
        yield name, (lambda n=name: getattr(tvm, n)(weights=None)), 224, 1000
    for name, res in EFFICIENTNET_RESOLUTIONS.items():
        yield name, (lambda n=name: getattr(tvm, n)(weights=None)), res, 1000


def custom_torchvision_presets():
    yield "resnet200", lambda: TVResNet(TVBottleneck, [3, 24, 36, 3]), 224, 1000
    yield ("resnext101_32x4d",
           lambda: TVResNet(TVBottleneck, [3, 4, 23, 3], groups=32, width_per_group=4),
           224, 1000)


# ---------------------------------------------------------------------------
# 3. iResNet (port of github.com/iduta/iresnet, models/iresnet.py)
# ---------------------------------------------------------------------------

def conv1x1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


def conv3x3(cin, cout, stride=1, groups=1):
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1,
                     groups=groups, bias=False)


class IBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None,
                 start_block=False, end_block=False, exclude_bn0=False):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        if start_block or end_block:
            self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        if not start_block and not exclude_bn0:
            self.bn0 = nn.BatchNorm2d(inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.start_block = start_block
        self.end_block = end_block
        self.exclude_bn0 = exclude_bn0

    def forward(self, x):
        identity = x
        if self.start_block:
            out = self.conv1(x)
        elif self.exclude_bn0:
            out = self.conv1(self.relu(x))
        else:
            out = self.conv1(self.relu(self.bn0(x)))
        out = self.relu(self.bn1(out))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.conv3(out)
        if self.start_block:
            out = self.bn3(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out = out + identity
        if self.end_block:
            out = self.relu(self.bn3(out))
        return out


class IResNet(nn.Module):
    def __init__(self, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        # No max pool: every stage downsamples instead.
        self.layer1 = self._make_layer(64, layers[0], stride=2)
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * IBottleneck.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride):
        out_ch = planes * IBottleneck.expansion
        downsample = None
        if stride != 1 and self.inplanes != out_ch:
            downsample = nn.Sequential(
                nn.MaxPool2d(kernel_size=3, stride=stride, padding=1),
                conv1x1(self.inplanes, out_ch),
                nn.BatchNorm2d(out_ch),
            )
        elif self.inplanes != out_ch:
            downsample = nn.Sequential(conv1x1(self.inplanes, out_ch), nn.BatchNorm2d(out_ch))
        elif stride != 1:
            downsample = nn.MaxPool2d(kernel_size=3, stride=stride, padding=1)

        layers = [IBottleneck(self.inplanes, planes, stride, downsample, start_block=True)]
        self.inplanes = out_ch
        exclude_bn0 = True
        for _ in range(1, blocks - 1):
            layers.append(IBottleneck(self.inplanes, planes, exclude_bn0=exclude_bn0))
            exclude_bn0 = False
        layers.append(IBottleneck(self.inplanes, planes, end_block=True, exclude_bn0=exclude_bn0))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


IRESNET_LAYERS = {
    "iresnet50": [3, 4, 6, 3],
    "iresnet101": [3, 4, 23, 3],
    "iresnet152": [3, 8, 36, 3],
    "iresnet200": [3, 24, 36, 3],
    "iresnet302": [4, 34, 58, 4],
    "iresnet404": [4, 46, 80, 4],
}


def iresnet_presets():
    for name, layers in IRESNET_LAYERS.items():
        yield name, (lambda l=layers: IResNet(l)), 224, 1000


# ---------------------------------------------------------------------------
# 4. ResGroup on the plain torchvision ResNet layout
# ---------------------------------------------------------------------------

class ResGroupBlock(nn.Module):
    """conv1x1 in->W, BN, ReLU, conv3x3 grouped W->W (stride), BN, ReLU,
    conv1x1 W->W/2, BN, + shortcut, ReLU."""

    def __init__(self, cin, width, groups, stride):
        super().__init__()
        cout = width // 2
        self.conv1 = conv1x1(cin, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride, groups)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, cout)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResGroupNet(nn.Module):
    def __init__(self, layers, groups_per_stage, widths=(256, 512, 1024, 2048),
                 num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        stages = []
        cin = 64
        for blocks, width, groups, stride in zip(layers, widths, groups_per_stage, (1, 2, 2, 2)):
            blks = []
            for i in range(blocks):
                blks.append(ResGroupBlock(cin, width, groups, stride if i == 0 else 1))
                cin = width // 2
            stages.append(nn.Sequential(*blks))
        self.stages = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.stages(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resgroup_presets():
    yield "resgroupfix50", lambda: ResGroupNet([3, 4, 6, 3], (64, 64, 64, 64)), 224, 1000
    yield "resgroup50", lambda: ResGroupNet([3, 4, 6, 3], (8, 16, 32, 64)), 224, 1000


# ---------------------------------------------------------------------------
# 5 + 6. CIFAR ResNeXt-29 (port of github.com/prlz77/ResNeXt.pytorch)
# ---------------------------------------------------------------------------

class ResNeXtBottleneck(nn.Module):
    def __init__(self, cin, cout, stride, cardinality, base_width, widen_factor):
        super().__init__()
        width = cardinality * base_width * cout // widen_factor
        self.conv_reduce = conv1x1(cin, width)
        self.bn_reduce = nn.BatchNorm2d(width)
        self.conv_conv = conv3x3(width, width, stride, cardinality)
        self.bn = nn.BatchNorm2d(width)
        self.conv_expand = conv1x1(width, cout)
        self.bn_expand = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Sequential()
        if cin != cout:
            self.shortcut = nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn_reduce(self.conv_reduce(x)))
        out = self.relu(self.bn(self.conv_conv(out)))
        out = self.bn_expand(self.conv_expand(out))
        return self.relu(out + self.shortcut(x))


class CifarResNeXt(nn.Module):
    """ResNeXt-29: stem + 3 stages x 3 blocks + avgpool + FC.

    Block width D = cardinality * base_width * (out / widen_factor)."""

    def __init__(self, cardinality, base_width, num_classes, stem=64,
                 stages=(256, 512, 1024), widen_factor=256, blocks=3, stem_pool=False):
        super().__init__()
        self.conv_1_3x3 = nn.Conv2d(3, stem, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn_1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        # The lesson presets: torchvision's stem max pool (3x3, stride 2) after the CIFAR stem.
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if stem_pool else nn.Identity()
        layers = []
        cin = stem
        for cout, stride in zip(stages, (1, 2, 2)):
            for i in range(blocks):
                layers.append(ResNeXtBottleneck(cin, cout, stride if i == 0 else 1,
                                                cardinality, base_width, widen_factor))
                cin = cout
        self.stages = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.pool(self.relu(self.bn_1(self.conv_1_3x3(x))))
        x = self.stages(x)
        return self.classifier(torch.flatten(self.avgpool(x), 1))


CIFAR_RESNEXT = {
    "cifar_resnext29_8x64d": (8, 64),
    "cifar_resnext29_16x64d": (16, 64),
    "cifar_resnet29": (1, 64),
}


def cifar_presets():
    for classes, suffix in ((10, ""), (100, "@cifar100")):
        for name, (c, d) in CIFAR_RESNEXT.items():
            yield name + suffix, (lambda c=c, d=d, k=classes: CifarResNeXt(c, d, k)), 32, classes


def classroom_presets():
    def small(c, d):
        return CifarResNeXt(c, d, 10, stem=16, stages=(64, 128, 256), widen_factor=64)

    yield "classroom_resnext29_8x4d", lambda: small(8, 4), 32, 10
    yield "classroom_resnet29_1x18d", lambda: small(1, 18), 32, 10

    def lesson(c, d):
        return CifarResNeXt(c, d, 10, stem=16, stages=(64, 128, 256), widen_factor=64, blocks=1, stem_pool=True)

    yield "lesson_resnext11_8x4d", lambda: lesson(8, 4), 32, 10
    yield "lesson_resnet11_1x19d", lambda: lesson(1, 19), 32, 10


# ---------------------------------------------------------------------------
# 7. Compound scaling at phi = 1 (alpha 1.2, beta 1.1, gamma 1.15): EfficientNet-B0
#    and ResNet-50 scaled the same way (depth ceil(n * 1.2), width make_divisible(c * 1.1, 8),
#    resolution round(224 * 1.15) = 258).
# ---------------------------------------------------------------------------

def make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class ScaledResNet(nn.Module):
    """torchvision's Bottleneck blocks with a given stem width, planes and blocks per stage."""

    def __init__(self, stem, planes, blocks, groups=1, width_per_group=64, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        layers, cin = [], stem
        for i, (p, n) in enumerate(zip(planes, blocks)):
            stride = 1 if i == 0 else 2
            for j in range(n):
                s = stride if j == 0 else 1
                down = None
                if s != 1 or cin != p * 4:
                    down = nn.Sequential(conv1x1(cin, p * 4, s), nn.BatchNorm2d(p * 4))
                layers.append(TVBottleneck(cin, p, s, down, groups, width_per_group))
                cin = p * 4
        self.layers = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.avgpool(self.layers(x)), 1))


def compound_presets():
    import math
    from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf

    def b0_phi1():
        setting, last_channel = _efficientnet_conf("efficientnet_b0", width_mult=1.1, depth_mult=1.2)
        return EfficientNet(setting, 0.2, last_channel=last_channel)

    resolution = round(224 * 1.15)
    yield "efficientnet_b0@phi1", b0_phi1, resolution, 1000
    stem = make_divisible(64 * 1.1)
    planes = [make_divisible(p * 1.1) for p in (64, 128, 256, 512)]
    blocks = [math.ceil(n * 1.2) for n in (3, 4, 6, 3)]
    yield "resnet50@phi1", lambda: ScaledResNet(stem, planes, blocks), resolution, 1000
    yield ("resnext50_32x4d@phi1",
           lambda: ScaledResNet(stem, planes, blocks, groups=32, width_per_group=4), resolution, 1000)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

EXPECTED = {
    "resnet50": (25_557_032, 4_089_184_256),
    "resnext50_32x4d": (25_028_904, 4_230_479_872),
    "efficientnet_b0": (5_288_548, 385_814_752),
    "cifar_resnext29_8x64d": (34_426_698, 5_387_266_048),
}


def main():
    torch.set_grad_enabled(False)
    families = [
        torchvision_presets, custom_torchvision_presets, iresnet_presets,
        resgroup_presets, cifar_presets, classroom_presets, compound_presets,
    ]
    results = {}
    for family in families:
        for name, build, resolution, classes in family():
            print(f"counting {name} @ {resolution}", file=sys.stderr)
            results[name] = measure(build(), resolution, classes)

    for name, (params, macs) in EXPECTED.items():
        got = results[name]
        assert got["params"] == params, f"{name}: params {got['params']} != {params}"
        assert got["macs"] == macs, f"{name}: MACs {got['macs']} != {macs}"

    fix, base = results["resgroupfix50"]["params"], results["resnet50"]["params"]
    print(f"resgroupfix50 has {100.0 * (base - fix) / base:.2f}% fewer params than "
          f"resnet50 ({fix:,} vs {base:,})", file=sys.stderr)

    print(json.dumps(results, sort_keys=True, indent=2))


if __name__ == "__main__":
    main()
