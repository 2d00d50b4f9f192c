# cifar_resnext29_8x64d: PyTorch model exported from ResNeXt Lab.
#
# params: 34,426,698 = conv weights (+ bias) + BatchNorm gamma/beta + FC weight/bias
#         (BatchNorm running statistics are buffers, not parameters).
# MACs:   5,387,266,048 at 32x32: conv and linear multiply-adds only; FLOPs = 2 x MACs.
#
# Needs torch and torchvision only. `python3 this_file.py` builds the model, prints its parameter
# count beside the app's and runs a zero image through it.
# `python3 this_file.py --train` trains it on CIFAR-10/100 with the ResNeXt paper's recipe, on one
# process; `torchrun --nproc_per_node=N this_file.py --train` trains on N processes (GPUs) with
# DistributedDataParallel. `--help` lists the options.
#
# Module names are the app's layer names (torchvision's module names), so state_dict keys are
# `<layer>.weight`, `.bias`, `.running_mean`, `.running_var` exactly as the app lists them.
#
# Blocks are written in form (c) of ResNeXt Fig. 3 (one grouped 3x3 convolution, groups = C),
# whatever form the app showed: the three forms are strictly equivalent, with the
# same parameters, and (c) is the compact, fast one that torchvision uses.
#
# The spec this file was generated from:
# {
#   "family": "resnet",
#   "name": "cifar_resnext29_8x64d",
#   "block": "bottleneck",
#   "bottleneckWidth": 64,
#   "cardinality": 8,
#   "depthMultiplier": 1,
#   "expansion": 4,
#   "form": "c",
#   "improvedShortcut": false,
#   "input": {"channels":3,"classes":10,"resolution":32},
#   "resStage": false,
#   "shortcuts": true,
#   "stages": [
#     {"blocks":3,"planes":64,"stride":1},
#     {"blocks":3,"planes":128,"stride":2},
#     {"blocks":3,"planes":256,"stride":2}
#   ],
#   "stem": {"kernel":3,"maxPool":false,"stride":1,"width":64},
#   "widthMultiplier": 1
# }

import argparse
import os
import time
from dataclasses import dataclass
from typing import List, Optional

import torch
from torch import nn
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Subset
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets
from torchvision import transforms as T

MODEL_NAME = "cifar_resnext29_8x64d"
RESOLUTION = 32
IN_CHANNELS = 3
NUM_CLASSES = 10
# The app's counts for this design (params exclude BatchNorm running statistics).
APP_PARAMS = 34426698
APP_MACS = 5387266048


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """3x3 convolution with symmetric padding 1."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


@dataclass
class StageConfig:
    """One row of the paper's table: `blocks` blocks whose 3x3 layers are `width` channels wide in
    `groups` groups (the cardinality C), producing `out_channels`; the first block strides by `stride`."""

    blocks: int
    width: int
    out_channels: int
    stride: int
    groups: int = 1


class Bottleneck(nn.Module):
    """ResNeXt block in form (c) (Fig. 3c): 1x1 (in -> width), 3x3 grouped (width -> width, groups = C,
    stride), 1x1 (width -> out), BatchNorm after each conv, then + shortcut and ReLU. torchvision's
    Bottleneck with width = C * d; with `shortcut=False` it is a plain stack (no addition)."""

    def __init__(
        self,
        inplanes: int,
        width: int,
        out_channels: int,
        stride: int = 1,
        groups: int = 1,
        downsample: Optional[nn.Module] = None,
        shortcut: bool = True,
    ) -> None:
        super().__init__()
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride, groups)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.shortcut:
            out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)


class ResNet(nn.Module):
    """stem -> stages of residual blocks (layer1, layer2, ...) -> global average pool -> FC
    (ResNeXt Table 1)."""

    def __init__(
        self,
        block: type,
        stages: List[StageConfig],
        stem_width: int = 64,
        stem_kernel: int = 7,
        stem_stride: int = 2,
        stem_padding: int = 3,
        stem_max_pool: bool = True,
        shortcut: bool = True,
        in_channels: int = 3,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        self.shortcut = shortcut
        self.inplanes = stem_width
        self.conv1 = nn.Conv2d(
            in_channels, stem_width, kernel_size=stem_kernel, stride=stem_stride, padding=stem_padding, bias=False
        )
        self.bn1 = nn.BatchNorm2d(stem_width)
        self.relu = nn.ReLU(inplace=True)
        # ResNet's 3x3 max pool; iResNet drops it and strides every stage instead.
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if stem_max_pool else nn.Identity()
        self.stage_names: List[str] = []
        for i, cfg in enumerate(stages):
            self.stage_names.append(f"layer{i + 1}")
            self.add_module(self.stage_names[-1], self._make_layer(block, cfg))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(self.inplanes, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _make_layer(self, block: type, cfg: StageConfig) -> nn.Sequential:
        layers = []
        for i in range(cfg.blocks):
            stride = cfg.stride if i == 0 else 1
            downsample = self._downsample(cfg.out_channels, stride)
            layers.append(block(self.inplanes, cfg.width, cfg.out_channels, stride, cfg.groups, downsample, self.shortcut))
            self.inplanes = cfg.out_channels
        return nn.Sequential(*layers)

    def _downsample(self, out_channels: int, stride: int) -> Optional[nn.Module]:
        """Projection shortcut ("type B": 1x1 conv with the block's stride, then BN) where the shape
        changes; identity otherwise."""
        if not self.shortcut or (stride == 1 and self.inplanes == out_channels):
            return None
        return nn.Sequential(conv1x1(self.inplanes, out_channels, stride), nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for name in self.stage_names:
            x = getattr(self, name)(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def build_model(num_classes: int = NUM_CLASSES) -> ResNet:
    # Bottleneck blocks, cardinality C = 8, bottleneck width d = 64, expansion 4:
    # width = C * d in the first stage, doubling with the stage width (template rule ii).
    return ResNet(
        Bottleneck,
        stages=[
            StageConfig(blocks=3, width=512, out_channels=256, stride=1, groups=8),
            StageConfig(blocks=3, width=1024, out_channels=512, stride=2, groups=8),
            StageConfig(blocks=3, width=2048, out_channels=1024, stride=2, groups=8),
        ],
        stem_width=64,
        stem_kernel=3,
        stem_stride=1,
        stem_padding=1,
        stem_max_pool=False,
        shortcut=True,
        in_channels=IN_CHANNELS,
        num_classes=num_classes,
    )


def check() -> None:
    """Builds the model, compares its parameter count with the app's and runs one zero image."""
    model = build_model()
    params = sum(p.numel() for p in model.parameters())
    print(f"{MODEL_NAME}: {params} params (ResNeXt Lab counts {APP_PARAMS}: {'match' if params == APP_PARAMS else 'MISMATCH'})")
    model.eval()
    with torch.no_grad():
        output = model(torch.zeros(1, IN_CHANNELS, RESOLUTION, RESOLUTION))
    print(f"output shape for a 1x{IN_CHANNELS}x{RESOLUTION}x{RESOLUTION} input: {tuple(output.shape)}")


# ---------------------------------------------------------------------------------------------
# Training on CIFAR-10/100: the ResNeXt paper's recipe (Sec. 5.3 and Appendix A)
#   SGD, momentum 0.9, weight decay 5e-4, batch 128, lr 0.1 divided by 10 at 50% and 75% of the
#   epochs (150 and 225 of 300); augmentation: zero-pad to 40x40, random 32x32 crop, random
#   horizontal flip; inputs normalised per channel with the training set's mean and std.
#
#   python3 this_file.py --train                          # one process (GPU if there is one)
#   torchrun --nproc_per_node=4 this_file.py --train      # 4 processes (GPUs), one machine
#   python3 this_file.py --train --fake-data --epochs 1   # smoke test: random images, no download
#
# Under torchrun every process takes batch / N images per step, so the total batch stays 128 and
# the learning rate stays 0.1. BatchNorm statistics are per process unless you pass --sync-bn.
# The trained weights are saved as a plain state_dict (keys as the app names its layers).
# ---------------------------------------------------------------------------------------------

# Per-channel mean and std of the 50,000 training images.
CIFAR_STATS = {
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}
CIFAR_CLASSES = {"cifar10": 10, "cifar100": 100}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=f"{MODEL_NAME}: check the export, or train it on CIFAR with --train")
    p.add_argument("--train", action="store_true", help="train on CIFAR (otherwise: print params and output shape)")
    p.add_argument("--dataset", choices=sorted(CIFAR_STATS), default="cifar10")
    p.add_argument("--data", default="./data", help="where CIFAR is (downloaded there if missing)")
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=128, help="total over all processes")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--workers", type=int, default=4, help="data-loading processes per training process")
    p.add_argument("--sync-bn", action="store_true", help="BatchNorm statistics over all processes")
    p.add_argument("--amp", action="store_true", help="mixed precision on CUDA")
    p.add_argument("--fake-data", action="store_true", help="random images instead of CIFAR (a quick smoke test)")
    p.add_argument("--out", default="cifar_resnext29_8x64d_cifar.pt", help="where to save the trained state_dict")
    return p.parse_args()


def setup_distributed():
    """torchrun sets RANK, LOCAL_RANK and WORLD_SIZE; without them this is one process."""
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    if not distributed:
        return False, 0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
        dist.init_process_group(backend="nccl")
    else:
        device = torch.device("cpu")
        dist.init_process_group(backend="gloo")
    return True, dist.get_rank(), dist.get_world_size(), device


def cifar_loaders(args: argparse.Namespace, distributed: bool, rank: int, world: int):
    mean, std = CIFAR_STATS[args.dataset]
    normalize = T.Normalize(mean, std)
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), normalize])
    test_tf = T.Compose([T.ToTensor(), normalize])
    classes = CIFAR_CLASSES[args.dataset]
    if args.fake_data:
        train_set = datasets.FakeData(512, (3, 32, 32), classes, train_tf)
        test_set = datasets.FakeData(256, (3, 32, 32), classes, test_tf, random_offset=512)
    else:
        cifar = datasets.CIFAR10 if args.dataset == "cifar10" else datasets.CIFAR100
        if rank == 0:  # one process downloads, the others wait for it
            cifar(args.data, train=True, download=True)
            cifar(args.data, train=False, download=True)
        if distributed:
            dist.barrier()
        train_set = cifar(args.data, train=True, transform=train_tf)
        test_set = cifar(args.data, train=False, transform=test_tf)
    # Every process evaluates its own share of the test set (every world-th image, none twice).
    test_set = Subset(test_set, range(rank, len(test_set), world))
    train_sampler = DistributedSampler(train_set, shuffle=True) if distributed else None
    per_process = max(1, args.batch_size // world)
    loader = dict(num_workers=args.workers, pin_memory=torch.cuda.is_available())
    train_loader = DataLoader(
        train_set, batch_size=per_process, shuffle=train_sampler is None, sampler=train_sampler, drop_last=False, **loader
    )
    test_loader = DataLoader(test_set, batch_size=per_process, shuffle=False, **loader)
    return train_loader, train_sampler, test_loader, classes


def run_epoch(model, loader, device, criterion, optimizer=None, scaler=None, amp=False, distributed=False):
    """One pass over `loader`; trains when an optimizer is given. Returns (mean loss, accuracy) over all processes."""
    training = optimizer is not None
    model.train(training)
    totals = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, correct, images
    with torch.set_grad_enabled(training):
        for images, targets in loader:
            images = images.to(device, non_blocking=True)
            targets = targets.to(device, non_blocking=True)
            with torch.autocast(device_type=device.type, enabled=amp):
                logits = model(images)
                loss = criterion(logits, targets)
            if training:
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            totals[0] += loss.detach().double() * targets.size(0)
            totals[1] += (logits.argmax(1) == targets).sum().double()
            totals[2] += targets.size(0)
    if distributed:
        dist.all_reduce(totals)
    images = max(totals[2].item(), 1.0)
    return totals[0].item() / images, totals[1].item() / images


def train(args: argparse.Namespace) -> None:
    distributed, rank, world, device = setup_distributed()
    torch.manual_seed(0)
    if args.batch_size % world and rank == 0:
        print(f"note: batch {args.batch_size} does not split evenly over {world} processes")
    train_loader, train_sampler, test_loader, classes = cifar_loaders(args, distributed, rank, world)
    if rank == 0 and classes != NUM_CLASSES:
        print(f"note: the design has {NUM_CLASSES} classes; training with {classes} for {args.dataset}")
    model = build_model(num_classes=classes)
    if distributed and args.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(device)
    net = model
    if distributed:
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    milestones = sorted({max(1, args.epochs // 2), max(1, args.epochs * 3 // 4)})
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=0.1)
    amp = args.amp and device.type == "cuda"
    scaler = torch.cuda.amp.GradScaler(enabled=amp)
    if rank == 0:
        print(f"{MODEL_NAME} on {args.dataset}: {sum(p.numel() for p in model.parameters())} params, "
              f"{world} process(es) on {device.type}, batch {args.batch_size}, {args.epochs} epochs, lr drops at {milestones}")

    for epoch in range(args.epochs):
        if train_sampler is not None:
            train_sampler.set_epoch(epoch)
        start = time.time()
        lr = optimizer.param_groups[0]["lr"]
        train_loss, train_acc = run_epoch(net, train_loader, device, criterion, optimizer, scaler, amp, distributed)
        test_loss, test_acc = run_epoch(net, test_loader, device, criterion, amp=amp, distributed=distributed)
        scheduler.step()
        if rank == 0:
            print(
                f"epoch {epoch + 1}/{args.epochs}  lr {lr:.4g}  train loss {train_loss:.4f} acc {100 * train_acc:.2f}%  "
                f"test loss {test_loss:.4f} error {100 * (1 - test_acc):.2f}%  ({time.time() - start:.1f} s)",
                flush=True,
            )

    if rank == 0:
        torch.save(model.state_dict(), args.out)
        print(f"saved {args.out}")
    if distributed:
        dist.destroy_process_group()


def main() -> None:
    args = parse_args()
    if args.train:
        train(args)
    else:
        check()


if __name__ == "__main__":
    main()
