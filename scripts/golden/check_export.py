#!/usr/bin/python3
"""Checks the exporter (src/export, `npm run export`) in PyTorch, by hand or in a job with torch.

For every target (a preset name or a spec .json file) it runs the exporter, imports the generated
PyTorch file and checks:

  * params: sum(p.numel() for p in model.parameters()) equals the app's count
    (`npx tsx src/cli/arch.ts <target> --format json` -> .params);
  * state_dict: keys and shapes equal the app's graph (`--to state-dict`, which lists every
    `<layer>.weight/.bias/.running_mean/.running_var` in PyTorch's layouts; BatchNorm's
    `num_batches_tracked` counters are left out of the comparison);
  * a forward pass on a random image at the design's resolution gives (1, classes);
  * reference models: for torchvision's presets, the generated keys and shapes equal
    `torchvision.models.<name>(weights=None).state_dict()`'s, its weights load with
    `load_state_dict(strict=True)`, and both models give the same output. Presets with a PyTorch
    port in count_torch.py (iResNet, ResGroup, CIFAR ResNeXt-29, compound-scaled ResNet-50) are
    compared the same way, by name where the port uses torchvision's names, by position otherwise;
  * Keras (simulated): Keras is not installed here, so the generated Keras file runs against a
    small stand-in for the Keras 3 layers it uses (built on torch, with Keras's argument names,
    channels-last layouts and weight shapes). That checks the trainable-parameter count, that every
    PyTorch module with weights has a Keras layer of the same name (dots -> underscores), and that
    the Keras model, given the PyTorch weights by the file's own load_pytorch_weights(), computes
    the same function. It cannot check the real Keras API.

Run with Debian's python (torch 1.13 / torchvision 0.14), from anywhere:

    /usr/bin/python3 scripts/golden/check_export.py                 # the default list below
    /usr/bin/python3 scripts/golden/check_export.py resnet18 path/to/spec.json
    /usr/bin/python3 scripts/golden/check_export.py --files a.py b.py   # already generated PyTorch files

Prints one JSON report; the exit status is 1 when anything does not match.
"""

import argparse
import copy
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import types

import torch
import torch.nn.functional as F
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import count_torch  # noqa: E402  (the PyTorch ports of the papers' reference models)

TORCHVISION = {
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2",
    *(f"efficientnet_b{i}" for i in range(8)),
}

DEFAULT_TARGETS = [
    "resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "efficientnet_b0", "efficientnet_b1",
    "iresnet50", "resgroup50", "resgroupfix50", "cifar_resnext29_8x64d", "classroom_resnext29_8x4d",
    "resnet50@phi1", "efficientnet_b0@phi1",
    "resnext50_32x4d@no_shortcuts", "classroom_resnext29_8x4d@form_a", "iresnet_basic@custom",
    "iresnet_bottleneck@no_shortcuts", "maxpool_shortcut@custom", "resnet_overrides@custom",
    "efficientnet@custom",
]


# ---------------------------------------------------------------------------
# Specs that are not presets: built from a preset's spec, written to a temp dir
# ---------------------------------------------------------------------------

def app_json(target):
    out = run(["npx", "tsx", "src/cli/arch.ts", target, "--format", "json"])
    return json.loads(out)


def derived_spec(name):
    """Specs for the '@' targets: compound scaling at phi = 1 and options no preset has."""
    base, _, variant = name.partition("@")
    if variant == "phi1":
        spec = app_json(base)["spec"]
        # compoundScale(spec, {phi: 1, alpha: 1.2, beta: 1.1, gamma: 1.15}), as the app computes it.
        spec.update(name=f"{base} (phi=1)", depthMultiplier=1.2, widthMultiplier=1.1)
        spec["input"]["resolution"] = round(224 * 1.15)
        return spec
    if variant == "no_shortcuts":
        spec = app_json("iresnet50" if base.startswith("iresnet") else base)["spec"]
        spec.update(name=f"{base} without shortcuts", shortcuts=False)
        if base.startswith("iresnet"):
            spec.update(cardinality=8, bottleneckWidth=8)
        return spec
    if variant == "form_a":
        spec = app_json(base)["spec"]
        spec.update(name=f"{base} shown in form (a)", form="a")
        return spec
    custom = {
        "iresnet_basic": dict(
            family="resnet", name="iResNet with basic blocks", block="basic", expansion=1, resStage=True,
            improvedShortcut=True, cardinality=4, bottleneckWidth=16,
            stem=dict(width=32, kernel=7, stride=2, maxPool=False),
            stages=[dict(blocks=2, planes=64, stride=2), dict(blocks=3, planes=128, stride=2), dict(blocks=4, planes=128, stride=1)],
            input=dict(resolution=96, channels=3, classes=37),
        ),
        "maxpool_shortcut": dict(
            family="resnet", name="max-pool shortcuts / stride without widening", block="basic", expansion=1,
            improvedShortcut=True, stem=dict(width=64, kernel=5, stride=1, maxPool=True),
            stages=[dict(blocks=1, planes=64, stride=1), dict(blocks=2, planes=64, stride=2), dict(blocks=2, planes=96, stride=1)],
            input=dict(resolution=40, channels=1, classes=5),
        ),
        "resnet_overrides": dict(
            family="resnet", name="ResGroup-like overrides", cardinality=16, bottleneckWidth=4, expansion=1.5,
            stem=dict(width=48, kernel=3, stride=2, maxPool=True),
            stages=[dict(blocks=2, planes=64, stride=1, groups=8), dict(blocks=2, planes=128, stride=2, width=96, groups=8),
                    dict(blocks=1, planes=256, stride=2)],
            depthMultiplier=1.3, widthMultiplier=0.9,
            input=dict(resolution=64, channels=3, classes=10),
        ),
        "efficientnet": dict(
            family="efficientnet", name="EfficientNet without SE or skips", seRatio=0, shortcuts=False, dropout=0,
            widthMultiplier=0.6, depthMultiplier=0.7, stemChannels=24, headChannels=640,
            stages=[dict(expandRatio=1, kernel=3, stride=1, channels=16, layers=1),
                    dict(expandRatio=4, kernel=5, stride=2, channels=28, layers=3),
                    dict(expandRatio=3.5, kernel=3, stride=2, channels=44, layers=2)],
            input=dict(resolution=48, channels=2, classes=12),
        ),
    }
    return custom[base]


def run(cmd):
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return r.stdout


# ---------------------------------------------------------------------------
# Reference models
# ---------------------------------------------------------------------------

def iresnet_port(layers):
    """count_torch's iResNet port, with the pre-activation ReLU out of place so that the identity
    path carries x itself (Fig. 2 of the paper; the app's graph). The port's in-place ReLU also
    rectifies the identity of the first middle block of each stage (the one without bn0)."""
    model = count_torch.IResNet(layers)
    for m in model.modules():
        if isinstance(m, count_torch.IBottleneck):
            m.relu = torch.nn.ReLU(inplace=False)
    return model


def reference(target):
    """(description, builder, mode): mode 'names' compares keys, 'order' maps tensors by position."""
    if target in TORCHVISION:
        return f"torchvision.models.{target}", lambda: getattr(torchvision.models, target)(weights=None), "names"
    if target in count_torch.IRESNET_LAYERS:
        layers = count_torch.IRESNET_LAYERS[target]
        return f"count_torch.IResNet({layers})", lambda: iresnet_port(layers), "names"
    ports = {
        "resgroupfix50": lambda: count_torch.ResGroupNet([3, 4, 6, 3], (64, 64, 64, 64)),
        "resgroup50": lambda: count_torch.ResGroupNet([3, 4, 6, 3], (8, 16, 32, 64)),
        "cifar_resnext29_8x64d": lambda: count_torch.CifarResNeXt(8, 64, 10),
        "cifar_resnext29_16x64d": lambda: count_torch.CifarResNeXt(16, 64, 10),
        "cifar_resnet29": lambda: count_torch.CifarResNeXt(1, 64, 10),
        "classroom_resnext29_8x4d": lambda: count_torch.CifarResNeXt(8, 4, 10, stem=16, stages=(64, 128, 256), widen_factor=64),
        "classroom_resnet29_1x18d": lambda: count_torch.CifarResNeXt(1, 18, 10, stem=16, stages=(64, 128, 256), widen_factor=64),
    }
    if target in ports:
        return f"count_torch port of {target}", ports[target], "order"
    compound = {name: build for name, build, _resolution, _classes in count_torch.compound_presets()}
    if target in ("resnet50@phi1", "efficientnet_b0@phi1"):
        mode = "names" if target.startswith("efficientnet") else "order"
        return f"count_torch.compound_presets(): {target}", compound[target], mode
    return None


def randomize(model, seed=0):
    """Non-trivial weights and BatchNorm statistics, so evaluation mode is a real test."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=g) * 0.4 - 0.2)
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) * 0.4 - 0.2)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            elif isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_((torch.rand(m.weight.shape, generator=g) * 2 - 1) * math.sqrt(3.0 / fan_in))
                if m.bias is not None:
                    m.bias.copy_(torch.rand(m.bias.shape, generator=g) * 0.2 - 0.1)


def weights_only(state_dict):
    return {k: v for k, v in state_dict.items() if not k.endswith("num_batches_tracked")}


def diff(a, b):
    d = float((a - b).abs().max())
    return {"maxAbsDiff": d, "relDiff": d / max(float(b.abs().max()), 1e-12)}


def compare_reference(target, model, resolution, in_channels):
    ref = reference(target)
    if ref is None:
        return None
    description, build, mode = ref
    other = build()
    randomize(other)
    mine, theirs = weights_only(model.state_dict()), weights_only(other.state_dict())
    report = {"model": description, "mode": mode, "keys": len(theirs)}
    if mode == "names":
        report["keysMatch"] = list(mine) == list(theirs) or set(mine) == set(theirs)
        report["keyOrderMatches"] = list(mine) == list(theirs)
        report["shapeMismatches"] = [k for k in theirs if k in mine and tuple(mine[k].shape) != tuple(theirs[k].shape)][:10]
        report["missing"] = [k for k in theirs if k not in mine][:10]
        report["unexpected"] = [k for k in mine if k not in theirs][:10]
        source = other.state_dict()
        try:
            model.load_state_dict(source, strict=True)
            report["loadStateDictStrict"] = "ok"
        except RuntimeError as e:
            report["loadStateDictStrict"] = str(e)[:500]
            return report
    else:
        pairs = list(zip(model.state_dict().items(), other.state_dict().items()))
        report["keysMatch"] = len(model.state_dict()) == len(other.state_dict()) and all(
            tuple(a.shape) == tuple(b.shape) for (_, a), (_, b) in pairs)
        if not report["keysMatch"]:
            return report
        model.load_state_dict({k: v for (k, _), (_, v) in pairs}, strict=True)
        report["loadedByPosition"] = len(pairs)
    model.eval()
    other.eval()
    x = torch.randn(2, in_channels, resolution, resolution, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        report.update(diff(model(x), other(x)))
    report["ok"] = report["keysMatch"] and report.get("loadStateDictStrict", "ok") == "ok" and report["relDiff"] < 1e-5
    return report


# ---------------------------------------------------------------------------
# A stand-in for the part of Keras 3 the Keras export uses (torch underneath, channels-last)
# ---------------------------------------------------------------------------

def fake_keras():
    keras = types.ModuleType("keras")
    layers = types.ModuleType("keras.layers")
    keras.layers = layers
    created = []

    class Variable:
        def __init__(self, shape, trainable):
            self.shape = tuple(int(s) for s in shape)
            self.trainable = trainable
            self.value = torch.zeros(self.shape)

    class KTensor:
        """A symbolic tensor; `example` is its value for a zero batch of one, which gives the shape."""

        def __init__(self, example, layer, inputs):
            self.example, self.layer, self.inputs = example, layer, inputs
            self.shape = (None,) + tuple(example.shape[1:])

    def _check_name(name):
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Argument `name` must be a string and cannot contain character `/` (got {name!r})")

    class Layer:
        def __init__(self, name=None):
            _check_name(name)
            self.name = name or f"{type(self).__name__.lower()}_{len(created)}"
            self.built = False
            self.weights = []
            created.append(self)

        @property
        def trainable_weights(self):
            return [w for w in self.weights if w.trainable]

        def add_weight(self, shape, trainable=True):
            w = Variable(shape, trainable)
            self.weights.append(w)
            return w

        def build(self, shapes):
            pass

        def set_weights(self, values):
            if len(values) != len(self.weights):
                raise ValueError(f"{self.name}: expects {len(self.weights)} weights, got {len(values)}")
            for w, v in zip(self.weights, values):
                if tuple(v.shape) != w.shape:
                    raise ValueError(f"{self.name}: weight shape {w.shape} != provided {tuple(v.shape)}")
                w.value = torch.as_tensor(v.copy() if hasattr(v, "copy") else v, dtype=torch.float32)

        def __call__(self, x):
            xs = x if isinstance(x, list) else [x]
            if all(isinstance(t, KTensor) for t in xs):
                if not self.built:
                    self.build([t.shape for t in xs])
                    self.built = True
                example = self.compute(*[t.example for t in xs])
                return KTensor(example, self, xs)
            return self.compute(*[torch.as_tensor(t, dtype=torch.float32) for t in xs])

    def _pair(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    def _nchw(fn, x):
        return fn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)

    class Conv2D(Layer):
        def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, name=None):
            super().__init__(name)
            assert padding == "valid" and activation is None and _pair(dilation_rate) == (1, 1) and data_format is None
            self.filters, self.kernel_size, self.strides = filters, _pair(kernel_size), _pair(strides)
            self.groups, self.use_bias = groups, use_bias

        def build(self, shapes):
            cin = shapes[0][-1]
            if cin % self.groups or self.filters % self.groups:
                raise ValueError(f"{self.name}: {self.groups} groups do not divide {cin} -> {self.filters}")
            self.kernel = self.add_weight(self.kernel_size + (cin // self.groups, self.filters))
            if self.use_bias:
                self.bias = self.add_weight((self.filters,))

        def compute(self, x):
            w = self.kernel.value.permute(3, 2, 0, 1)
            y = _nchw(lambda t: F.conv2d(t, w, stride=self.strides, groups=self.groups), x)
            return y + self.bias.value if self.use_bias else y

    class DepthwiseConv2D(Layer):
        def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                     dilation_rate=(1, 1), activation=None, use_bias=True, name=None):
            super().__init__(name)
            assert padding == "valid" and activation is None and depth_multiplier == 1 and data_format is None
            self.kernel_size, self.strides, self.use_bias = _pair(kernel_size), _pair(strides), use_bias

        def build(self, shapes):
            self.channels = shapes[0][-1]
            self.kernel = self.add_weight(self.kernel_size + (self.channels, 1))
            if self.use_bias:
                self.bias = self.add_weight((self.channels,))

        def compute(self, x):
            w = self.kernel.value.permute(2, 3, 0, 1)
            y = _nchw(lambda t: F.conv2d(t, w, stride=self.strides, groups=self.channels), x)
            return y + self.bias.value if self.use_bias else y

    class BatchNormalization(Layer):
        def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, name=None):
            super().__init__(name)
            assert axis == -1 and center and scale
            self.epsilon, self.momentum = epsilon, momentum

        def build(self, shapes):
            c = (shapes[0][-1],)
            self.gamma, self.beta = self.add_weight(c), self.add_weight(c)
            self.moving_mean, self.moving_variance = self.add_weight(c, False), self.add_weight(c, False)
            self.gamma.value = torch.ones(c)
            self.moving_variance.value = torch.ones(c)

        def compute(self, x):
            return (x - self.moving_mean.value) / torch.sqrt(self.moving_variance.value + self.epsilon) * self.gamma.value + self.beta.value

    class ZeroPadding2D(Layer):
        def __init__(self, padding=(1, 1), data_format=None, name=None):
            super().__init__(name)
            self.padding = _pair(padding)
            assert all(isinstance(p, int) for p in self.padding)

        def compute(self, x):
            ph, pw = self.padding
            return F.pad(x, (0, 0, pw, pw, ph, ph))

    class MaxPooling2D(Layer):
        def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None):
            super().__init__(name)
            assert padding == "valid"
            self.pool_size, self.strides = _pair(pool_size), _pair(strides or pool_size)

        def compute(self, x):
            return _nchw(lambda t: F.max_pool2d(t, self.pool_size, self.strides), x)

    class ReLU(Layer):
        def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, name=None):
            super().__init__(name)
            assert max_value is None and negative_slope == 0 and threshold == 0

        def compute(self, x):
            return torch.relu(x)

    class Activation(Layer):
        FUNCTIONS = {"relu": torch.relu, "silu": F.silu, "swish": F.silu, "sigmoid": torch.sigmoid}

        def __init__(self, activation, name=None):
            super().__init__(name)
            self.fn = self.FUNCTIONS[activation]

        def compute(self, x):
            return self.fn(x)

    class Add(Layer):
        def __init__(self, name=None):
            super().__init__(name)

        def build(self, shapes):
            if len(set(shapes)) != 1:
                raise ValueError(f"{self.name}: inputs have incompatible shapes {shapes}")

        def compute(self, *xs):
            return sum(xs[1:], xs[0])

    class Multiply(Layer):
        def __init__(self, name=None):
            super().__init__(name)

        def compute(self, a, b):
            return a * b

    class GlobalAveragePooling2D(Layer):
        def __init__(self, data_format=None, keepdims=False, name=None):
            super().__init__(name)
            self.keepdims = keepdims

        def compute(self, x):
            return x.mean(dim=(1, 2), keepdim=self.keepdims)

    class Dense(Layer):
        def __init__(self, units, activation=None, use_bias=True, name=None):
            super().__init__(name)
            assert activation is None
            self.units, self.use_bias = units, use_bias

        def build(self, shapes):
            assert len(shapes[0]) == 2, f"{self.name}: Dense after a 2-D tensor only here (got {shapes[0]})"
            self.kernel = self.add_weight((shapes[0][-1], self.units))
            self.bias = self.add_weight((self.units,))

        def compute(self, x):
            return x @ self.kernel.value + self.bias.value

    class Dropout(Layer):
        def __init__(self, rate, noise_shape=None, seed=None, name=None):
            super().__init__(name)
            assert 0 <= rate < 1

        def compute(self, x):
            return x  # inference

    class InputLayer(Layer):
        pass

    def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None, optional=False):
        layer = InputLayer(name)
        return KTensor(torch.zeros((1,) + tuple(shape)), layer, [])

    class Model:
        def __init__(self, inputs, outputs, name=None):
            _check_name(name)
            self.name, self.inputs, self.outputs = name, inputs, outputs
            order, seen = [], set()

            def visit(t):
                if id(t) in seen:
                    return
                seen.add(id(t))
                for i in t.inputs:
                    visit(i)
                order.append(t)

            visit(outputs)
            self._order = order
            self.layers = []
            for t in order:
                if t.layer not in self.layers:
                    self.layers.append(t.layer)
            names = [layer.name for layer in self.layers]
            if len(set(names)) != len(names):
                raise ValueError("All layer names should be unique.")

        @property
        def trainable_weights(self):
            return [w for layer in self.layers for w in layer.trainable_weights]

        @property
        def weights(self):
            return [w for layer in self.layers for w in layer.weights]

        def count_params(self):
            return sum(math.prod(w.shape) for w in self.weights)

        def __call__(self, x, training=False):
            values = {}
            for t in self._order:
                values[id(t)] = torch.as_tensor(x, dtype=torch.float32) if not t.inputs else t.layer(
                    [values[id(i)] for i in t.inputs] if len(t.inputs) > 1 else values[id(t.inputs[0])])
            return values[id(self._order[-1])]

    for cls in (Conv2D, DepthwiseConv2D, BatchNormalization, ZeroPadding2D, MaxPooling2D, ReLU, Activation, Add,
                Multiply, GlobalAveragePooling2D, Dense, Dropout):
        setattr(layers, cls.__name__, cls)
    keras.Input, keras.Model = Input, Model
    return keras


def check_keras(path, torch_model, resolution, in_channels, app_params):
    keras = fake_keras()
    saved = {name: sys.modules.get(name) for name in ("keras", "keras.layers")}
    sys.modules["keras"], sys.modules["keras.layers"] = keras, keras.layers
    try:
        module = load_module(path, "exported_keras")
        model = module.build_model()
        trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
        with_layers = {layer.name for layer in model.layers if layer.weights}
        torch_modules = {k.rsplit(".", 1)[0].replace(".", "_") for k in weights_only(torch_model.state_dict())}
        module.load_pytorch_weights(model, torch_model.state_dict())
        x = torch.randn(2, in_channels, resolution, resolution, generator=torch.Generator().manual_seed(2))
        torch_model.eval()
        with torch.no_grad():
            expected = torch_model(x)
            got = model(x.permute(0, 2, 3, 1).numpy())
        report = {
            "simulated": True,
            "trainableParams": trainable,
            "countParams": model.count_params(),
            "paramsMatchApp": trainable == app_params,
            "layerNamesMatchPyTorchModules": with_layers == torch_modules,
            "missingLayers": sorted(torch_modules - with_layers)[:10],
            **diff(got, expected),
        }
        report["ok"] = report["paramsMatchApp"] and report["layerNamesMatchPyTorchModules"] and report["relDiff"] < 1e-5
        return report
    finally:
        for name, mod in saved.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod


# ---------------------------------------------------------------------------
# Checking one target
# ---------------------------------------------------------------------------

def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_target(target, workdir):
    arg = target
    if "@" in target:
        arg = os.path.join(workdir, target.replace("@", "_") + ".json")
        with open(arg, "w") as f:
            json.dump(derived_spec(target), f)
    stem = os.path.join(workdir, target.replace("@", "_").replace("/", "_").replace(".json", ""))
    run(["npx", "tsx", "src/cli/export.ts", arg, "--to", "pytorch", "--out", stem + ".py"])
    run(["npx", "tsx", "src/cli/export.ts", arg, "--to", "keras", "--out", stem + "_keras.py"])
    manifest = json.loads(run(["npx", "tsx", "src/cli/export.ts", arg, "--to", "state-dict"]))
    app = app_json(arg)

    module = load_module(stem + ".py", "exported_" + os.path.basename(stem).replace("-", "_"))
    torch.manual_seed(0)
    model = module.build_model()
    params = sum(p.numel() for p in model.parameters())
    mine = weights_only(model.state_dict())
    expected = manifest["stateDict"]
    state = {
        "keys": len(expected),
        "keysMatchApp": set(mine) == set(expected),
        "keyOrderMatchesApp": list(mine) == list(expected),
        "shapesMatchApp": all(k in mine and list(mine[k].shape) == shape for k, shape in expected.items()),
        "missing": [k for k in expected if k not in mine][:10],
        "unexpected": [k for k in mine if k not in expected][:10],
    }
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, module.IN_CHANNELS, module.RESOLUTION, module.RESOLUTION))
    result = {
        "target": target,
        "name": app["name"],
        "appParams": app["params"],
        "generatedParams": params,
        "paramsMatch": params == app["params"] == module.APP_PARAMS,
        "stateDict": state,
        "outputShape": list(out.shape),
        "outputShapeOk": list(out.shape) == [1, app["classes"]],
    }
    randomize(model, seed=3)
    keras_model = copy.deepcopy(model)
    ref = compare_reference(target, model, module.RESOLUTION, module.IN_CHANNELS)
    if ref is not None:
        result["reference"] = ref
    result["keras"] = check_keras(stem + "_keras.py", keras_model, module.RESOLUTION, module.IN_CHANNELS, app["params"])
    result["ok"] = (
        result["paramsMatch"] and state["keysMatchApp"] and state["shapesMatchApp"] and result["outputShapeOk"]
        and (ref is None or ref.get("ok", False)) and result["keras"]["ok"]
    )
    return result


def check_file(path):
    module = load_module(path, "exported_file")
    model = module.build_model()
    params = sum(p.numel() for p in model.parameters())
    result = {"file": path, "name": module.MODEL_NAME, "appParams": module.APP_PARAMS, "generatedParams": params,
              "paramsMatch": params == module.APP_PARAMS}
    if module.MODEL_NAME in TORCHVISION:
        randomize(model)
        result["reference"] = compare_reference(module.MODEL_NAME, model, module.RESOLUTION, module.IN_CHANNELS)
    result["ok"] = result["paramsMatch"] and result.get("reference", {"ok": True})["ok"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", help="preset names, spec .json files, or '@' targets (see DEFAULT_TARGETS)")
    parser.add_argument("--files", nargs="+", help="check already generated PyTorch files instead")
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    results = []
    if args.files:
        results = [check_file(p) for p in args.files]
    else:
        with tempfile.TemporaryDirectory(prefix="check_export-") as workdir:
            for target in args.targets or DEFAULT_TARGETS:
                print(f"checking {target}", file=sys.stderr, flush=True)
                try:
                    results.append(check_target(target, workdir))
                except Exception as e:  # one broken target must not hide the others' results
                    results.append({"target": target, "ok": False, "error": f"{type(e).__name__}: {e}"[:2000]})
    report = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "ok": all(r["ok"] for r in results),
        "results": results,
    }
    print(json.dumps(report, indent=2))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
