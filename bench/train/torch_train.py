"""PyTorch-CPU peer of `npm run bench:train` (bench/train.bench.ts runs it; not a test).

Trains a module file written by `npm run export -- <preset> --to pytorch` (its `build_model()`,
`RESOLUTION`, `IN_CHANNELS`, `NUM_CLASSES`, `APP_MACS`) with the app's recipe: SGD, momentum 0.9,
weight decay 5e-4, lr 0.05, cross-entropy, on random CIFAR-shaped inputs, in training mode
(BatchNorm batch statistics), on `--threads` intra-op threads. Timed like the bench times our
Trainer: one untimed warm-up step, then steps until `--seconds` have passed (at least one), each
synced by reading its loss (`loss.item()`). Weight decay on conv and FC weights only, as the Trainer. Prints one JSON object
on stdout.

    python3 bench/train/torch_train.py --module /tmp/model.py --batch 32 --threads 1 --seconds 15
"""

import argparse
import importlib.util
import json
import time

import torch
from torch import nn


def load_module(path: str):
    spec = importlib.util.spec_from_file_location("exported_model", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    p = argparse.ArgumentParser(description="Time training steps of an exported ResNeXt Lab model on the CPU.")
    p.add_argument("--module", required=True, help="a file written by `npm run export -- <preset> --to pytorch`")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--batches", type=int, default=8, help="distinct random batches, cycled")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    m = load_module(args.module)
    model = m.build_model()
    model.train()
    # As the app's Trainer: weight decay on conv and FC weights only (not BatchNorm, not biases).
    decay = [q for q in model.parameters() if q.dim() > 1]
    no_decay = [q for q in model.parameters() if q.dim() <= 1]
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer = torch.optim.SGD(groups, lr=args.lr, momentum=args.momentum)
    criterion = nn.CrossEntropyLoss()
    shape = (args.batch, m.IN_CHANNELS, m.RESOLUTION, m.RESOLUTION)
    batches = [(torch.randn(shape), torch.randint(0, m.NUM_CLASSES, (args.batch,))) for _ in range(args.batches)]

    def step(i: int) -> float:
        x, y = batches[i % len(batches)]
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    w0 = time.perf_counter()
    step(0)
    warmup = time.perf_counter() - w0
    steps = 0
    t0 = time.perf_counter()
    while True:
        last_loss = step(steps + 1)
        steps += 1
        if time.perf_counter() - t0 >= args.seconds:
            break
    elapsed = time.perf_counter() - t0
    images_per_second = steps * args.batch / elapsed
    print(json.dumps({
        "model": m.MODEL_NAME,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "batch": args.batch,
        "steps": steps,
        "seconds": elapsed,
        "warmupSeconds": warmup,
        "imagesPerSecond": images_per_second,
        "forwardMacsPerImage": m.APP_MACS,
        "macsPerSecond": images_per_second * m.APP_MACS * 3,
        "lastLoss": last_loss,
    }))


if __name__ == "__main__":
    main()
