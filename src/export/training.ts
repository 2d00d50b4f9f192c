/**
 * The CIFAR-10/100 training script appended to a PyTorch export: the ResNeXt paper's recipe
 * (Sec. 5.3 and Appendix A), single-process or DistributedDataParallel under torchrun.
 */
import type { ArchSpec } from '../models/index';
import { commentText } from './python';

export function trainingScript(spec: ArchSpec): string[] {
  const dataset = spec.input.classes === 100 ? 'cifar100' : 'cifar10';
  const fileStem = commentText(spec.name).replace(/[^A-Za-z0-9_.-]+/g, '_');
  const sizeNote =
    spec.input.resolution === 32
      ? []
      : [
          `# This design is built for ${spec.input.resolution}x${spec.input.resolution} images; CIFAR's are 32x32. It still runs`,
          '# (the last stages see tiny maps), but a CIFAR-sized design (a 3x3 stem, no max pool) suits CIFAR better.',
        ];
  return `# ---------------------------------------------------------------------------------------------
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
${sizeNote.map((l) => `${l}\n`).join('')}# ---------------------------------------------------------------------------------------------

# Per-channel mean and std of the 50,000 training images.
CIFAR_STATS = {
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}
CIFAR_CLASSES = {"cifar10": 10, "cifar100": 100}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=f"{MODEL_NAME}: check the export, or train it on CIFAR with --train")
    p.add_argument("--train", action="store_true", help="train on CIFAR (otherwise: print params and output shape)")
    p.add_argument("--dataset", choices=sorted(CIFAR_STATS), default="${dataset}")
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
    p.add_argument("--out", default=${JSON.stringify(`${fileStem || 'model'}_cifar.pt`)}, help="where to save the trained state_dict")
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
    """One pass over \`loader\`; trains when an optimizer is given. Returns (mean loss, accuracy) over all processes."""
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
        check()`.split('\n');
}
