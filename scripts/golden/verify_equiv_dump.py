#!/usr/bin/python3
"""Checks an `npm run equiv -- ... --dump file.json` dump in PyTorch.

Rebuilds the form-(c) block from the dumped weights (tfjs layouts converted to PyTorch's),
runs it on the dumped input in evaluation mode, and prints the max |difference| against each
of the three outputs (a), (b), (c) computed by tfjs. Run with Debian's python3 (python3-torch):

    npm run equiv -- --C 32 --d 4 --width 256 --size 8 --batch 2 --seed 1 --dump /tmp/dump.json
    /usr/bin/python3 scripts/golden/verify_equiv_dump.py /tmp/dump.json
"""
import json
import sys

import torch
import torch.nn.functional as F


def tensor(entry):
    return torch.tensor(entry["values"], dtype=torch.float32).reshape(entry["shape"])


def main(path):
    dump = json.load(open(path))
    weights = {k: tensor(v) for k, v in dump["weights"].items()}
    eps = dump["bnEpsilon"]
    x = tensor(dump["input"]).permute(0, 3, 1, 2)  # NHWC -> NCHW

    def conv(name, h, spec):
        w = weights[f"{name}.weight"].permute(3, 2, 0, 1)  # [kh,kw,in/g,out] -> [out,in/g,kh,kw]
        return F.conv2d(h, w, stride=spec["stride"], padding=spec["padding"], groups=spec["groups"])

    def bn(name, h):
        return F.batch_norm(h, weights[f"{name}.running_mean"], weights[f"{name}.running_var"],
                            weights[f"{name}.weight"], weights[f"{name}.bias"], training=False, eps=eps)

    convs = {c["name"]: c for c in dump["convs"]}
    block = next(iter(convs)).rsplit(".", 1)[0]
    main_path = sorted(n for n in convs if n.startswith(block + ".conv"))
    h = x
    for i, name in enumerate(main_path):
        h = bn(name.replace(".conv", ".bn"), conv(name, h, convs[name]))
        if i < len(main_path) - 1:
            h = F.relu(h)
    shortcut = x
    if f"{block}.downsample.0" in convs:
        shortcut = bn(f"{block}.downsample.1", conv(f"{block}.downsample.0", x, convs[f"{block}.downsample.0"]))
    y = F.relu(h + shortcut).permute(0, 2, 3, 1)  # back to NHWC
    result = {form: float((y - tensor(out)).abs().max()) for form, out in dump["outputs"].items()}
    print(json.dumps({"torch": torch.__version__, "maxAbsDiffVsTfjs": result}))


if __name__ == "__main__":
    main(sys.argv[1])
