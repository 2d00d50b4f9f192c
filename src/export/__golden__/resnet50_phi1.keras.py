# resnet50 (phi=1): Keras 3 model exported from ResNeXt Lab.
#
# params: 38,932,304 = conv weights (+ bias) + BatchNorm gamma/beta + FC weight/bias
#         (BatchNorm running statistics are buffers, not parameters).
# MACs:   9,237,659,800 at 258x258: conv and linear multiply-adds only; FLOPs = 2 x MACs.
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
#   "name": "resnet50 (phi=1)",
#   "block": "bottleneck",
#   "bottleneckWidth": 64,
#   "cardinality": 1,
#   "depthMultiplier": 1.2,
#   "expansion": 4,
#   "form": "c",
#   "improvedShortcut": false,
#   "input": {"channels":3,"classes":1000,"resolution":258},
#   "resStage": false,
#   "shortcuts": true,
#   "stages": [
#     {"blocks":3,"planes":64,"stride":1},
#     {"blocks":4,"planes":128,"stride":2},
#     {"blocks":6,"planes":256,"stride":2},
#     {"blocks":3,"planes":512,"stride":2}
#   ],
#   "stem": {"kernel":7,"maxPool":true,"stride":2,"width":64},
#   "widthMultiplier": 1.1
# }

import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

MODEL_NAME = "resnet50 (phi=1)"
RESOLUTION = 258
IN_CHANNELS = 3
NUM_CLASSES = 1000
# The app's count, which equals the model's *trainable* parameters (see check()).
APP_PARAMS = 38932304
APP_MACS = 9237659800


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
    """Projection shortcut ("type B": 1x1 conv with the block's stride, then BN) where the shape
    changes; identity otherwise."""
    if stride == 1 and x.shape[-1] == out_channels:
        return x
    s = conv2d(x, out_channels, 1, stride, name=f"{name}_downsample_0")
    return batch_norm(s, f"{name}_downsample_1")


def bottleneck(x, cfg, stride, shortcut, name):
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
    return layers.ReLU(name=f"{name}_relu")(out)


# Bottleneck blocks, cardinality C = 1, bottleneck width d = 64, expansion 4:
# width = C * d in the first stage, doubling with the stage width (template rule ii).
# Compound scaling already applied: depth x1.2 (blocks = ceil(blocks * depth)),
# width x1.1 (channels = make_divisible(channels * width, 8)).
STAGES = [
    StageConfig(blocks=4, width=72, out_channels=288, stride=1, groups=1),
    StageConfig(blocks=5, width=144, out_channels=576, stride=2, groups=1),
    StageConfig(blocks=8, width=280, out_channels=1120, stride=2, groups=1),
    StageConfig(blocks=4, width=560, out_channels=2240, stride=2, groups=1),
]
SHORTCUT = True


def build_model(num_classes=NUM_CLASSES):
    """stem -> stages of residual blocks -> global average pool -> FC (ResNeXt Table 1)."""
    inputs = keras.Input(shape=(RESOLUTION, RESOLUTION, IN_CHANNELS), name="input")
    x = conv2d(inputs, 72, 7, 2, padding=3, name="conv1")
    x = layers.ReLU(name="relu")(batch_norm(x, "bn1"))
    x = max_pool(x, 2, "maxpool")
    for i, cfg in enumerate(STAGES):
        for j in range(cfg.blocks):
            stride = cfg.stride if j == 0 else 1
            x = bottleneck(x, cfg, stride, SHORTCUT, name=f"layer{i + 1}_{j}")
    x = layers.GlobalAveragePooling2D(name="avgpool")(x)
    outputs = layers.Dense(num_classes, name="fc")(x)
    return keras.Model(inputs, outputs, name="resnet50_phi_1")


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
