"""PyTorch-CUDA peer of `npm run bench:gpu` (bench/gpu/gpu.bench.ts runs it; not a test).

The recipe of bench/train/torch_train.py (the app's PyTorch export, SGD momentum 0.9, weight decay
5e-4 on conv/FC weights, lr 0.05, cross-entropy, random CIFAR-shaped inputs, training mode), on the
GPU: one untimed warm-up step, then steps until `--seconds` have passed, each synced by
`loss.item()`. cuDNN picks its fastest algorithms (`cudnn.benchmark`, as a PyTorch user on a GPU
would set; `--no-cudnn-benchmark` leaves the default); float32 throughout, PyTorch's default TF32
settings (convolutions may use TF32, matMuls do not). Prints one JSON object; without CUDA it prints {"skipped": "no CUDA: ..."} and exits 0.

    python3 bench/gpu/torch_cuda.py --module /tmp/model.py --batch 32 --seconds 15
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))


def main() -> None:
    p = argparse.ArgumentParser(description="Time training steps of an exported ResNeXt Lab model on CUDA.")
    p.add_argument("--module", required=True)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--no-cudnn-benchmark", action="store_true")
    p.add_argument("--device", default="cuda", help="cpu runs the same steps without a GPU (to check this script)")
    args = p.parse_args()
    try:
        import torch
        from torch import nn
    except ImportError as e:
        print(json.dumps({"skipped": f"no PyTorch: {e}"}))
        return
    if args.device == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"skipped": f"no CUDA (torch {torch.__version__}, built with CUDA {torch.version.cuda})"}))
        return
    from torch_train import load_module

    torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark
    dev = torch.device(args.device)
    torch.manual_seed(1)
    m = load_module(args.module)
    model = m.build_model().to(dev)
    model.train()
    decay = [q for q in model.parameters() if q.dim() > 1]
    no_decay = [q for q in model.parameters() if q.dim() <= 1]
    optimizer = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0.0}], lr=0.05, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    shape = (args.batch, m.IN_CHANNELS, m.RESOLUTION, m.RESOLUTION)
    batches = [(torch.randn(shape, device=dev), torch.randint(0, m.NUM_CLASSES, (args.batch,), device=dev)) for _ in range(8)]

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
    ips = steps * args.batch / elapsed
    print(json.dumps({
        "model": m.MODEL_NAME, "torch": torch.__version__, "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu",
        "batch": args.batch, "steps": steps, "seconds": elapsed, "warmupSeconds": warmup,
        "imagesPerSecond": ips, "forwardMacsPerImage": m.APP_MACS, "macsPerSecond": ips * m.APP_MACS * 3, "lastLoss": last_loss,
        "cudnnBenchmark": torch.backends.cudnn.benchmark, "convTf32": torch.backends.cudnn.allow_tf32,
        "matmulTf32": torch.backends.cuda.matmul.allow_tf32,
    }))


if __name__ == "__main__":
    main()
