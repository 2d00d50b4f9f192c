# iresnet50: Keras 3 model exported from ResNeXt Lab.
#
# params: 25,557,032 = conv weights (+ bias) + BatchNorm gamma/beta + FC weight/bias
#         (BatchNorm running statistics are buffers, not parameters).
# MACs:   4,127,719,424 at 224x224: conv and linear multiply-adds only; FLOPs = 2 x MACs.
#
# Needs Keras 3 (any backend: JAX, TensorFlow or PyTorch). `python3 this_file.py` builds the
# model, prints its parameter counts beside the app's and runs a zero image through it.
# Keras is channels-last: inputs are (batch, height, width, channels).
#
# Layer names are the app's layer names with '.' -> '_' (layer1.0.conv2 -> layer1_0_conv2), so
# load_pytorch_weights() can copy the PyTorch export's state_dict (or torchvision's, for its
# models) into this model.
#
# Blocks are written in form (c) of ResNeXt Fig. 3 (one grouped 3x3 convolution, groups = C),
# whatever form the app showed: the three forms are strictly equivalent, with the
# same parameters.
#
# The spec this file was generated from:
# {
#   "family": "resnet",
#   "name": "iresnet50",
#   "block": "bottleneck",
#   "bottleneckWidth": 64,
#   "cardinality": 1,
#   "depthMultiplier": 1,
#   "expansion": 4,
#   "form": "c",
#   "improvedShortcut": true,
#   "input": {"channels":3,"classes":1000,"resolution":224},
#   "resStage": true,
#   "shortcuts": true,
#   "stages": [
#     {"blocks":3,"planes":64,"stride":2},
#     {"blocks":4,"planes":128,"stride":2},
#     {"blocks":6,"planes":256,"stride":2},
#     {"blocks":3,"planes":512,"stride":2}
#   ],
#   "stem": {"kernel":7,"maxPool":false,"stride":2,"width":64},
#   "widthMultiplier": 1
# }

import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

MODEL_NAME = "iresnet50"
RESOLUTION = 224
IN_CHANNELS = 3
NUM_CLASSES = 1000
# The app's count, which equals the model's *trainable* parameters (see check()).
APP_PARAMS = 25557032
APP_MACS = 4127719424


def conv2d(x, filters, kernel_size, stride=1, padding=0, groups=1, use_bias=False, name=None):
    """PyTorch's Conv2d: symmetric zero padding, then a 'valid' convolution. (Keras's 'same' pads
    more on the bottom/right when the stride is 2, which would shift every later feature map.)"""
    if padding:
        x = layers.ZeroPadding2D(padding, name=f"{name}_pad")(x)
    return layers.Conv2D(
        filters, kernel_size, strides=stride, padding="valid", groups=groups, use_bias=use_bias, name=name
    )(x)


def batch_norm(x, name):
    """PyTorch's BatchNorm2d: epsilon 1e-5, running statistics updated by 0.1 per step (Keras momentum 0.9)."""
    return layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=name)(x)


@dataclass
class StageConfig:
    """One row of the paper's table: `blocks` blocks whose 3x3 layers are `width` channels wide in
    `groups` groups (the cardinality C), producing `out_channels`; the first block strides by `stride`."""

    blocks: int
    width: int
    out_channels: int
    stride: int
    groups: int = 1


def max_pool(x, stride, name):
    """3x3 max pool, padding 1. PyTorch pads with -inf; zeros give the same result here because every
    max pool in this network follows a ReLU (its inputs are >= 0)."""
    x = layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
    return layers.MaxPooling2D(3, strides=stride, name=name)(x)


def shortcut_branch(x, out_channels, stride, name):
    """iResNet's improved projection shortcut where the shape changes: 3x3 max pool with the
    block's stride (a spatial projection that sees every activation), then 1x1 conv, stride 1
    (the channel projection), then BN. Identity otherwise."""
    if stride == 1 and x.shape[-1] == out_channels:
        return x
    s, i = x, 0
    if stride != 1:
        s = max_pool(s, stride, f"{name}_downsample_0")
        i = 1
    if x.shape[-1] != out_channels:
        s = conv2d(s, out_channels, 1, name=f"{name}_downsample_{i}")
        s = batch_norm(s, f"{name}_downsample_{i + 1}")
    return s


def resstage_bottleneck(x, cfg, stride, shortcut, role, exclude_bn0, name):
    """Bottleneck (1x1, 3x3 grouped with groups = C, 1x1) in form (c), placed in a ResStage.

    iResNet ResStage (Duta et al., Sec. 3.1): `role` is "start", "middle" or "end".
      start:  F(x) = [conv, BN, ReLU]... conv, BN; + projection shortcut; no ReLU after the addition.
      middle: F(x) = BN, ReLU, [conv, BN, ReLU]... conv (pre-activation); + identity.
      end:    like middle, then BN and ReLU after the addition (they prepare the next stage).
    The first middle block of a stage (`exclude_bn0`) starts with ReLU: the start block normalised
    already. So the main path holds one ReLU per stage, whatever the depth."""
    out = x
    if role != "start":
        if not exclude_bn0:
            out = batch_norm(out, f"{name}_bn0")
        out = layers.ReLU(name=f"{name}_relu0")(out)
    out = conv2d(out, cfg.width, 1, name=f"{name}_conv1")
    out = layers.ReLU(name=f"{name}_relu1")(batch_norm(out, f"{name}_bn1"))
    out = conv2d(out, cfg.width, 3, stride, padding=1, groups=cfg.groups, name=f"{name}_conv2")
    out = layers.ReLU(name=f"{name}_relu2")(batch_norm(out, f"{name}_bn2"))
    out = conv2d(out, cfg.out_channels, 1, name=f"{name}_conv3")
    if role == "start":
        out = batch_norm(out, f"{name}_bn3")
    if shortcut:
        out = layers.Add(name=f"{name}_add")([out, shortcut_branch(x, cfg.out_channels, stride, name)])
    if role == "end":
        out = layers.ReLU(name=f"{name}_relu")(batch_norm(out, f"{name}_bn3"))
    return out


# Bottleneck blocks, cardinality C = 1, bottleneck width d = 64, expansion 4:
# width = C * d in the first stage, doubling with the stage width (template rule ii).
# iResNet ResStage: start / middle / end blocks.
# iResNet improved projection shortcut: 3x3 max pool (stride), 1x1 conv, BN.
STAGES = [
    StageConfig(blocks=3, width=64, out_channels=256, stride=2, groups=1),
    StageConfig(blocks=4, width=128, out_channels=512, stride=2, groups=1),
    StageConfig(blocks=6, width=256, out_channels=1024, stride=2, groups=1),
    StageConfig(blocks=3, width=512, out_channels=2048, stride=2, groups=1),
]
SHORTCUT = True


def build_model(num_classes=NUM_CLASSES):
    """stem -> stages of residual blocks -> global average pool -> FC (ResNeXt Table 1)."""
    inputs = keras.Input(shape=(RESOLUTION, RESOLUTION, IN_CHANNELS), name="input")
    x = conv2d(inputs, 64, 7, 2, padding=3, name="conv1")
    x = layers.ReLU(name="relu")(batch_norm(x, "bn1"))
    # No max pool after the stem (iResNet strides every stage instead).
    for i, cfg in enumerate(STAGES):
        for j in range(cfg.blocks):
            stride = cfg.stride if j == 0 else 1
            role = "start" if j == 0 else "end" if j == cfg.blocks - 1 else "middle"
            x = resstage_bottleneck(x, cfg, stride, SHORTCUT, role, exclude_bn0=(j == 1), name=f"layer{i + 1}_{j}")
    x = layers.GlobalAveragePooling2D(name="avgpool")(x)
    outputs = layers.Dense(num_classes, name="fc")(x)
    return keras.Model(inputs, outputs, name="iresnet50")


def load_pytorch_weights(model, state_dict):
    """Copies a PyTorch state_dict (the PyTorch export's, or torchvision's for its models) into
    `model`. Layer `a_b_c` takes module `a.b.c`'s tensors (no module with weights has '_' in its
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
        layer.set_weights(weights)


def check():
    """Builds the model, compares its parameter counts with the app's and runs one zero image."""
    model = build_model()
    # Keras counts BatchNorm's moving mean and variance as (non-trainable) weights; PyTorch and the
    # app do not (they are buffers). So the *trainable* count is the one that equals the app's.
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    print(f"{MODEL_NAME}: model.count_params() = {model.count_params()} (with BatchNorm moving statistics)")
    print(f"trainable params = {trainable} (ResNeXt Lab counts {APP_PARAMS}: {'match' if trainable == APP_PARAMS else 'MISMATCH'})")
    output = model(np.zeros((1, RESOLUTION, RESOLUTION, IN_CHANNELS), dtype="float32"))
    print(f"output shape for a 1x{RESOLUTION}x{RESOLUTION}x{IN_CHANNELS} input: {tuple(output.shape)}")


if __name__ == "__main__":
    check()
