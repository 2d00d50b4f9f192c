# efficientnet_b0: Keras 3 model exported from ResNeXt Lab.
#
# params: 5,288,548 = conv weights (+ bias) + BatchNorm gamma/beta + FC weight/bias
#         (BatchNorm running statistics are buffers, not parameters).
# MACs:   385,814,752 at 224x224: conv and linear multiply-adds only; FLOPs = 2 x MACs.
#
# Needs Keras 3 (any backend: JAX, TensorFlow or PyTorch). `python3 this_file.py` builds the
# model, prints its parameter counts beside the app's and runs a zero image through it.
# Keras is channels-last: inputs are (batch, height, width, channels).
#
# Layer names are the app's layer names with '.' -> '_' (layer1.0.conv2 -> layer1_0_conv2), so
# load_pytorch_weights() can copy the PyTorch export's state_dict (or torchvision's, for its
# models) into this model.
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

import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

MODEL_NAME = "efficientnet_b0"
RESOLUTION = 224
IN_CHANNELS = 3
NUM_CLASSES = 1000
# The app's count, which equals the model's *trainable* parameters (see check()).
APP_PARAMS = 5288548
APP_MACS = 385814752


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


def make_divisible(v, divisor=8):
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
    """Inverted bottleneck: [1x1 expand, BN, SiLU] (skipped when it would not change the width) ->
    [kxk depthwise, stride, BN, SiLU] -> squeeze-and-excitation -> [1x1 project, BN]
    (+ identity, with stochastic depth, when stride 1 and in = out)."""
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
        # Squeeze to a fraction of the block's *input* channels: max(1, floor(in * se_ratio)).
        x = squeeze_excitation(x, max(1, int(input_channels * SE_RATIO)), name=f"{name}_block_{j}")
        j += 1
    x = conv_bn_act(x, cnf.out_channels, 1, activation=False, name=f"{name}_block_{j}")
    if SHORTCUT and stride == 1 and input_channels == cnf.out_channels:
        # Stochastic depth (training only): drops the whole residual of a sample, as torchvision's "row" mode.
        x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}_stochastic_depth")(x)
        x = layers.Add(name=f"{name}_add")([x, inputs])
    return x


# Width x1 and depth x1 already applied to the table below:
# channels = make_divisible(channels * width, 8), layers = ceil(layers * depth).
INVERTED_RESIDUAL_SETTING = [
    MBConvConfig(expand_ratio=1, kernel=3, stride=1, input_channels=32, out_channels=16, num_layers=1),
    MBConvConfig(expand_ratio=6, kernel=3, stride=2, input_channels=16, out_channels=24, num_layers=2),
    MBConvConfig(expand_ratio=6, kernel=5, stride=2, input_channels=24, out_channels=40, num_layers=2),
    MBConvConfig(expand_ratio=6, kernel=3, stride=2, input_channels=40, out_channels=80, num_layers=3),
    MBConvConfig(expand_ratio=6, kernel=5, stride=1, input_channels=80, out_channels=112, num_layers=3),
    MBConvConfig(expand_ratio=6, kernel=5, stride=2, input_channels=112, out_channels=192, num_layers=4),
    MBConvConfig(expand_ratio=6, kernel=3, stride=1, input_channels=192, out_channels=320, num_layers=1),
]
SE_RATIO = 0.25
SHORTCUT = True
# torchvision's stochastic depth: 0.2 * (block index / blocks), growing with depth.
STOCHASTIC_DEPTH_PROB = 0.2


def build_model(num_classes=NUM_CLASSES):
    """features (stem, MBConv stages, 1x1 head) -> global average pool -> classifier (dropout, FC)."""
    inputs = keras.Input(shape=(RESOLUTION, RESOLUTION, IN_CHANNELS), name="input")
    x = conv_bn_act(inputs, 32, 3, 2, name="features_0")
    total_blocks = sum(cnf.num_layers for cnf in INVERTED_RESIDUAL_SETTING)
    block_id = 0
    for i, cnf in enumerate(INVERTED_RESIDUAL_SETTING):
        for j in range(cnf.num_layers):
            drop_rate = STOCHASTIC_DEPTH_PROB * block_id / total_blocks
            x = mbconv(x, cnf, cnf.stride if j == 0 else 1, drop_rate, name=f"features_{i + 1}_{j}")
            block_id += 1
    x = conv_bn_act(x, 1280, 1, name=f"features_{len(INVERTED_RESIDUAL_SETTING) + 1}")
    x = layers.GlobalAveragePooling2D(name="avgpool")(x)
    x = layers.Dropout(0.2, name="classifier_0")(x)
    outputs = layers.Dense(num_classes, name="classifier_1")(x)
    return keras.Model(inputs, outputs, name="efficientnet_b0")


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
