#!/usr/bin/python3
"""Loads weights exported by the app (safetensors, tfjs -> PyTorch layouts) into the exported
PyTorch model with a strict load_state_dict, and compares its evaluation-mode output with tfjs'.
No safetensors package needed (the format is read here). Usage:

    npx tsx scripts/golden/weights_roundtrip.ts classroom_resnext29_8x4d /tmp
    /usr/bin/python3 scripts/golden/check_weights.py /tmp
"""
import importlib.util
import json
import os
import struct
import sys

import torch


def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    dtypes = {"F32": torch.float32, "I64": torch.int64}
    return {k: torch.frombuffer(bytearray(data[v["data_offsets"][0]:v["data_offsets"][1]]), dtype=dtypes[v["dtype"]]).reshape(v["shape"])
            for k, v in header.items() if k != "__metadata__"}


def main(folder):
    state = load_safetensors(os.path.join(folder, "weights.safetensors"))
    spec = importlib.util.spec_from_file_location("exported", os.path.join(folder, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    model.load_state_dict(state, strict=True)
    model.eval()
    io = json.load(open(os.path.join(folder, "io.json")))
    x = torch.tensor(io["x"]).reshape(io["shape"]).permute(0, 3, 1, 2)
    with torch.no_grad():
        y = model(x)
    ref = torch.tensor(io["y"]).reshape(y.shape)
    print(json.dumps({"strictLoad": "ok", "tensors": len(state), "maxAbsDiffVsTfjs": float((y - ref).abs().max()), "maxAbsOutput": float(ref.abs().max())}))


if __name__ == "__main__":
    main(sys.argv[1])
