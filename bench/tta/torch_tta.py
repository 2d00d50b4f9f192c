"""PyTorch-CPU peer of `npm run bench:tta` (bench/tta.bench.ts runs it; not a test).

Trains a module file written by `npm run export -- <preset> --to pytorch` on real CIFAR-10 with the
app's recipe (src/workers/training/settings.ts) for a wall-time budget, evaluating the app's held-out
slice on the app's cadence, and prints one JSON object: the held-out timeline
[{seconds, images, step, heldOutAccuracy}], the final full-test accuracy and the run's figures.

What it copies from the app, so the two timelines compare like with like:
  * data: the official binary archive (tar.gz or a folder of .bin files), normalised with the app's
    CIFAR-10 statistics (src/data/format.ts CIFAR_NORMALIZATION), zero pad 4 after normalising,
    random 32x32 crop, random horizontal flip (augment.ts);
  * SGD with momentum 0.9 (Nesterov in the fast recipe), weight decay on conv and FC weights only,
    cross-entropy with the recipe's label smoothing;
  * the schedule: 'triangular' = OneCycleLR(anneal_strategy='linear', pct_start=warmup,
    div_factor=10, final_div_factor=1e4), 'cosine' = cosine from the base rate to 0 (schedule.ts);
  * the time budget: speed measured over the first steps (at least 3 steps and 5 s and one
    evaluation), then the run's total steps fixed so the schedule ends at the budget, less each
    cadence's evaluation share (liveEval.ts budgetTotalSteps);
  * weight averaging: an EMA of the whole state_dict with decay min(decay, (1 + t) / (10 + t)),
    evaluated instead of the live weights (ema.ts);
  * zero-init of each residual branch's last BatchNorm (torchvision's zero_init_residual);
  * test-time flip: logits of each image and its mirror image averaged;
  * the held-out slice: the classes take turns, each giving its next test image in test-set order,
    up to 1,000 images (liveEval.ts heldOutIndices); first evaluation after 8 s, then 15 s of
    training between evaluations; `seconds` = wall seconds since training started, at the end of
    the evaluation (job.ts).

    python3 bench/tta/torch_tta.py --module /tmp/m.py --data cifar-10-binary.tar.gz --minutes 5 \
      --recipe-json '{"schedule": "triangular", "warmup": 0.2, "nesterov": true, "labelSmoothing": 0, "ema": true, "emaDecay": 0.99, "zeroInitResidual": false, "tta": true}'
"""

import argparse
import copy
import importlib.util
import json
import math
import os
import tarfile
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

RECORD = 1 + 3 * 32 * 32
MEAN = [125.3, 123.0, 113.9]
STD = [63.0, 62.1, 66.7]
# The recipe comes from the app as JSON (bench/tta.bench.ts passes src/workers/training/settings.ts's
# RECIPES entry, with any --set changes), in the app's keys; no second copy of the recipes here.
RECIPE_KEYS = {"schedule": "schedule", "warmup": "warmup", "nesterov": "nesterov", "labelSmoothing": "label_smoothing", "ema": "ema", "emaDecay": "ema_decay", "zeroInitResidual": "zero_init_residual", "tta": "tta"}


def recipe_from_json(text):
    given = json.loads(text)
    missing = sorted(set(RECIPE_KEYS) - set(given))
    if missing:
        raise SystemExit(f"--recipe-json lacks {', '.join(missing)}")
    return {ours: given[theirs] for theirs, ours in RECIPE_KEYS.items()}


SIZING_STEPS, SIZING_SECONDS = 3, 5.0


def load_module(path):
    spec = importlib.util.spec_from_file_location("exported_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_cifar10(path):
    """(train_images uint8 [N,3,32,32], train_labels, test_images, test_labels) from the archive or a folder."""
    files = {}
    if os.path.isdir(path):
        for root, _, names in os.walk(path):
            for n in names:
                if n.endswith(".bin"):
                    with open(os.path.join(root, n), "rb") as f:
                        files[n] = f.read()
    else:
        with tarfile.open(path, "r:*") as tar:
            for m in tar.getmembers():
                if m.isfile() and m.name.endswith(".bin"):
                    files[os.path.basename(m.name)] = tar.extractfile(m).read()

    def split(names):
        raw = np.frombuffer(b"".join(files[n] for n in names), dtype=np.uint8).reshape(-1, RECORD)
        return raw[:, 1:].reshape(-1, 3, 32, 32), raw[:, 0].astype(np.int64)

    train = split([f"data_batch_{i}.bin" for i in range(1, 6)])
    test = split(["test_batch.bin"])
    return train[0], train[1], test[0], test[1]


def held_out_indices(labels, classes, count):
    by_class = [[] for _ in range(classes)]
    for i, c in enumerate(labels):
        by_class[int(c)].append(i)
    out, rnd = [], 0
    want = min(count, len(labels))
    while len(out) < want:
        took = False
        for c in range(classes):
            if len(out) >= want:
                break
            if rnd < len(by_class[c]):
                out.append(by_class[c][rnd])
                took = True
        if not took:
            break
        rnd += 1
    return np.array(out, dtype=np.int64)


def learning_rate(schedule, base, step, total, warmup):
    total = max(1, total)
    t = min(max(step, 0), total)
    if schedule == "triangular":
        initial = base / 10
        final = initial / 1e4
        peak = warmup * total - 1
        end = total - 1
        if t <= peak:
            return initial + (base - initial) * (t / peak if peak > 0 else 1)
        return base + (final - base) * min(1, (t - peak) / max(1e-9, end - peak))
    if schedule == "cosine":
        return base * (1 + math.cos(math.pi * t / total)) / 2
    if schedule == "constant":
        return base
    raise SystemExit(f"schedule {schedule} is not ported here")


def main():
    p = argparse.ArgumentParser(description="Train an exported ResNeXt Lab model on CIFAR-10 for a wall-time budget, evaluating the held-out slice.")
    p.add_argument("--module", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--minutes", type=float, default=5)
    p.add_argument("--recipe-json", required=True, help="the app's recipe settings (schedule, warmup, nesterov, labelSmoothing, ema, emaDecay, zeroInitResidual, tta)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--held-out", type=int, default=1000)
    p.add_argument("--every-seconds", type=float, default=15)
    p.add_argument("--first-after", type=float, default=8)
    p.add_argument("--steps", type=int, default=0, help="a run of this many steps instead of the time budget (0 = the budget)")
    args = p.parse_args()
    r = recipe_from_json(args.recipe_json)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    m = load_module(args.module)
    model = m.build_model()
    if r["zero_init_residual"]:
        for mod in model.modules():
            if hasattr(mod, "bn3") and isinstance(mod.bn3, nn.BatchNorm2d) and hasattr(mod, "conv3"):
                nn.init.zeros_(mod.bn3.weight)
    ema = copy.deepcopy(model) if r["ema"] else None
    if ema is not None:
        for q in ema.parameters():
            q.requires_grad_(False)

    xtr, ytr, xte, yte = read_cifar10(args.data)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    norm = lambda x: (torch.from_numpy(np.ascontiguousarray(x)).float() - mean) / std
    train_x = norm(xtr)
    train_y = torch.from_numpy(ytr)
    test_x = norm(xte)
    test_y = torch.from_numpy(yte)
    held = torch.from_numpy(held_out_indices(yte, m.NUM_CLASSES, args.held_out))

    decay = [q for q in model.parameters() if q.dim() > 1]
    no_decay = [q for q in model.parameters() if q.dim() <= 1]
    opt = torch.optim.SGD(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, momentum=args.momentum, nesterov=r["nesterov"],
    )
    criterion = nn.CrossEntropyLoss(label_smoothing=r["label_smoothing"])
    n = train_x.shape[0]
    steps_per_epoch = n // args.batch
    budget = args.minutes * 60

    def evaluate(x, y):
        net = ema if ema is not None else model
        net.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, x.shape[0], 500):
                xb = x[i:i + 500]
                logits = net(xb)
                if r["tta"]:
                    logits = (logits + net(torch.flip(xb, dims=[3]))) / 2
                correct += int((logits.argmax(1) == y[i:i + 500]).sum())
        model.train()
        return correct / x.shape[0]

    def batch(indices):
        xb = F.pad(train_x[indices], (4, 4, 4, 4))
        b = len(indices)
        oy = rng.integers(0, 9, b)
        ox = rng.integers(0, 9, b)
        flip = rng.random(b) < 0.5
        out = torch.empty(b, 3, 32, 32)
        for k in range(b):
            img = xb[k, :, oy[k]:oy[k] + 32, ox[k]:ox[k] + 32]
            out[k] = torch.flip(img, dims=[2]) if flip[k] else img
        return out, train_y[indices]

    model.train()
    timeline = []
    total_steps = args.steps or None
    step = 0
    ema_updates = 0
    order = rng.permutation(n)
    t0 = time.perf_counter()
    elapsed = lambda: time.perf_counter() - t0
    last_eval_end = None
    eval_seconds = None
    sizing_from = None
    while True:
        now = elapsed()
        due = now >= args.first_after if last_eval_end is None else now - last_eval_end >= args.every_seconds
        if due:
            e0 = elapsed()
            acc = evaluate(test_x[held], test_y[held])
            last_eval_end = elapsed()
            eval_seconds = last_eval_end - e0
            timeline.append({"seconds": round(last_eval_end, 2), "images": step * args.batch, "step": step, "heldOutAccuracy": acc})
            print(json.dumps(timeline[-1]), file=sys.stderr, flush=True)
        if total_steps is not None and step >= total_steps:
            break
        epoch_step = step % steps_per_epoch
        if epoch_step == 0 and step > 0:
            order = rng.permutation(n)
        idx = torch.from_numpy(order[epoch_step * args.batch:(epoch_step + 1) * args.batch])
        lr = learning_rate(r["schedule"], args.lr, step, total_steps or max(1, int(budget * 10)), r["warmup"])
        for g in opt.param_groups:
            g["lr"] = lr
        xb, yb = batch(idx)
        opt.zero_grad(set_to_none=True)
        loss = criterion(model(xb), yb)
        loss.backward()
        opt.step()
        loss.item()
        step += 1
        if ema is not None:
            d = min(r["ema_decay"], (1 + ema_updates) / (10 + ema_updates))
            with torch.no_grad():
                for (ka, a), (kb, b) in zip(ema.state_dict().items(), model.state_dict().items()):
                    if a.dtype.is_floating_point:
                        a.mul_(d).add_(b, alpha=1 - d)
                    else:
                        a.copy_(b)
            ema_updates += 1
        if total_steps is None:
            if sizing_from is None:
                sizing_from = (step - 1, elapsed())
            s = step - sizing_from[0]
            sec = elapsed() - sizing_from[1]
            if s >= SIZING_STEPS and sec >= SIZING_SECONDS and eval_seconds is not None:
                per_step = (sec - (eval_seconds if last_eval_end is not None and last_eval_end > sizing_from[1] else 0)) / s
                remaining = max(0, budget - elapsed())
                share = args.every_seconds / (args.every_seconds + eval_seconds)
                total_steps = step + max(1, int(remaining * share / max(1e-6, per_step)))
    train_seconds = elapsed()
    final = evaluate(test_x, test_y)
    print(json.dumps({
        "model": m.MODEL_NAME,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "recipe": r,
        "seed": args.seed,
        "batch": args.batch,
        "lr": args.lr,
        "steps": step,
        "trainSeconds": round(train_seconds, 2),
        "imagesPerSecond": round(step * args.batch / train_seconds, 1),
        "timeline": timeline,
        "finalTestAccuracy": final,
    }))


if __name__ == "__main__":
    main()
