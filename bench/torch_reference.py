#!/usr/bin/python3
"""The PyTorch side of Trainyard's benchmarks: the same models, batch and optimizer as `trainyard bench`
and `trainyard train`, measured with the same method, so that the two run back to back on one machine
and are compared as a ratio.

Method (throughput): four random batches cycled, Adam (lr 1e-3), softmax cross-entropy; `--warmup`
steps are run and discarded, then the median of `--steps` timed steps is taken, for training and for
inference. PyTorch is measured at its best, or the ratio would flatter us:
  - both memory layouts, NCHW and channels_last, are timed and the faster one is reported per phase
    (`--memory-format best`, the default; on ResNet-18 the default layout alone can be 5x slower);
  - denormal floats are flushed to zero (slow denormal arithmetic would otherwise slow PyTorch by chance).

Needs Debian's python3-torch and python3-torchvision. Run with OPENBLAS_NUM_THREADS=1, so that
OpenBLAS's threads and torch's own do not compete for the cores:

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_reference.py throughput --model lenet5 --input 28,28,1
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_reference.py throughput --model resnet18 --input 64,64,3 --batch 32
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_reference.py fashion-mnist --epochs 5
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_reference.py fashion-mnist --epochs 10 --normalize --schedule cosine --target 0.89

The last line printed is one JSON object.
"""
import argparse
import gzip
import json
import resource
import statistics
import struct
import time

import torch
from torch import nn
from torch.nn import functional as F

CIFAR_RESNET_DEPTHS = (20, 32, 44, 56, 110)


class LeNet5(nn.Module):
    """Two valid 5x5 convolutions, each with ReLU and 2x2 max pooling, then dense 120, 84 and classes
    (the layer sizes of packages/cnn's lenet5)."""

    def __init__(self, channels, size, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        side = ((size - 4) // 2 - 4) // 2
        self.dense1 = nn.Linear(16 * side * side, 120)
        self.dense2 = nn.Linear(120, 84)
        self.logits = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.dense1(torch.flatten(x, 1)))
        return self.logits(F.relu(self.dense2(x)))


def conv_bn(cin, cout, kernel, stride):
    """A convolution without bias ("same" padding) followed by batch normalization."""
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout))


class ResidualBlock(nn.Module):
    """Two 3x3 conv-bn layers; a 1x1 projection shortcut where the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.first = conv_bn(cin, cout, 3, stride)
        self.second = conv_bn(cout, cout, 3, 1)
        self.shortcut = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return F.relu(self.second(F.relu(self.first(x))) + self.shortcut(x))


class CifarResNet(nn.Module):
    """ResNet-(6n+2) for small images (He et al. 2016, section 4.2): a 3x3 stem of 16 channels, three
    stages of n blocks with 16, 32 and 64 channels, global average pooling and one dense layer."""

    def __init__(self, channels, blocks_per_stage, classes):
        super().__init__()
        self.stem = conv_bn(channels, 16, 3, 1)
        layers, cin = [], 16
        for stage, cout in enumerate((16, 32, 64)):
            for index in range(blocks_per_stage):
                layers.append(ResidualBlock(cin, cout, 2 if stage > 0 and index == 0 else 1))
                cin = cout
        self.stages = nn.Sequential(*layers)
        self.logits = nn.Linear(64, classes)

    def forward(self, x):
        x = self.stages(F.relu(self.stem(x)))
        return self.logits(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build_model(name, height, channels, classes=10):
    if name == 'lenet5':
        return LeNet5(channels, height, classes)
    if name.startswith('resnet') and name[6:].isdigit() and int(name[6:]) in CIFAR_RESNET_DEPTHS:
        return CifarResNet(channels, (int(name[6:]) - 2) // 6, classes)
    import torchvision.models as zoo  # the ImageNet families, as torchvision defines them

    if not hasattr(zoo, name):
        raise SystemExit(f'unknown model {name}')
    if channels != 3:
        raise SystemExit(f'{name} takes 3 channels')
    options = {'aux_logits': False, 'init_weights': False} if name in ('googlenet', 'inception_v3') else {}
    return getattr(zoo, name)(num_classes=classes, **options)


def median_seconds(step, warmup, steps):
    for index in range(warmup):
        step(index)
    timings = []
    for index in range(warmup, warmup + steps):
        start = time.perf_counter()
        step(index)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def throughput_in_layout(args, layout):
    height, width, channels = (int(part) for part in args.input.split(','))
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    model = build_model(args.model, height, channels).to(device)
    batches = [(torch.randn(args.batch, channels, height, width, device=device), torch.randint(0, 10, (args.batch,), device=device))
               for _ in range(4)]
    if layout == 'channels_last':
        model = model.to(memory_format=torch.channels_last)
        batches = [(images.contiguous(memory_format=torch.channels_last), labels) for images, labels in batches]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_step(index):
        images, labels = batches[index % len(batches)]
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(images), labels).backward()
        optimizer.step()
        if device.type == 'cuda':
            torch.cuda.synchronize()  # CUDA runs asynchronously: the step ends when its kernels do

    def inference_step(index):
        model(batches[index % len(batches)][0]).sum().item()  # .item() waits for the result

    model.train()
    train = median_seconds(train_step, args.warmup, args.steps)
    model.eval()
    with torch.inference_mode():
        inference = median_seconds(inference_step, args.warmup, args.steps)
    return {'train': round(args.batch / train, 1), 'eval': round(args.batch / inference, 1)}


def throughput(args):
    layouts = ['nchw', 'channels_last'] if args.memory_format == 'best' else [args.memory_format]
    by_layout = {layout: throughput_in_layout(args, layout) for layout in layouts}
    fastest_train = max(layouts, key=lambda layout: by_layout[layout]['train'])
    fastest_eval = max(layouts, key=lambda layout: by_layout[layout]['eval'])
    return {
        'engine': f'torch-{torch.__version__}-{args.device}',
        'device': torch.cuda.get_device_name() if args.device == 'cuda' else 'cpu',
        'threads': torch.get_num_threads(),
        'model': args.model,
        'input': args.input,
        'batch': args.batch,
        'warmup': args.warmup,
        'steps': args.steps,
        'trainImagesPerSec': by_layout[fastest_train]['train'],
        'evalImagesPerSec': by_layout[fastest_eval]['eval'],
        'memoryFormat': {'train': fastest_train, 'eval': fastest_eval},
        'byMemoryFormat': by_layout,
        'peakMiB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def read_idx(path):
    """An IDX file (gzip) as a uint8 tensor of its own shape."""
    with gzip.open(path, 'rb') as file:
        data = file.read()
    dimensions = data[3]
    shape = struct.unpack(f'>{dimensions}I', data[4:4 + 4 * dimensions])
    return torch.frombuffer(bytearray(data[4 + 4 * dimensions:]), dtype=torch.uint8).reshape(shape)


def fashion_mnist(args):
    """Trains on the real Fashion-MNIST with `trainyard train`'s default recipe; test accuracy per epoch."""
    torch.manual_seed(args.seed)

    def images(name):
        return read_idx(f'{args.data}/{name}-images-idx3-ubyte.gz').float().div(255).unsqueeze(1)

    def labels(name):
        return read_idx(f'{args.data}/{name}-labels-idx1-ubyte.gz').long()

    train_images, train_labels, test_images, test_labels = images('train'), labels('train'), images('t10k'), labels('t10k')
    if args.normalize:  # one mean and standard deviation, from the training images
        mean, std = train_images.mean(), train_images.std()
        train_images, test_images = (train_images - mean) / std, (test_images - mean) / std
    model = build_model(args.model, 28, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = -(-len(train_images) // args.batch)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs * steps_per_epoch) if args.schedule == 'cosine' else None
    start = time.perf_counter()
    accuracies, epoch_seconds, eval_seconds = [], [], []
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_images))
        for first in range(0, len(order), args.batch):
            batch = order[first:first + args.batch]
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(train_images[batch]), train_labels[batch]).backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
        evaluating = time.perf_counter()
        model.eval()
        with torch.inference_mode():
            predicted = torch.cat([model(test_images[i:i + 1000]).argmax(1) for i in range(0, len(test_images), 1000)])
        accuracies.append(round((predicted == test_labels).float().mean().item(), 4))
        eval_seconds.append(time.perf_counter() - evaluating)
        epoch_seconds.append(time.perf_counter() - start)
        if args.target is not None and accuracies[-1] >= args.target:
            break  # --target: stop at the first epoch whose test accuracy reaches it
    reached = next((index for index, accuracy in enumerate(accuracies) if args.target is not None and accuracy >= args.target), None)
    return {
        'engine': f'torch-{torch.__version__}-cpu',
        'model': args.model,
        'epochs': args.epochs,
        'batch': args.batch,
        'lr': args.lr,
        'normalize': args.normalize,
        'schedule': args.schedule,
        'testAccuracyByEpoch': accuracies,
        'testAccuracy': accuracies[-1],
        'trainSeconds': round(time.perf_counter() - start, 1),
        # Seconds from the first epoch's start to each epoch's end (its test evaluation included), and
        # each epoch's test evaluation alone.
        'epochSeconds': [round(seconds, 2) for seconds in epoch_seconds],
        'evalSeconds': [round(seconds, 2) for seconds in eval_seconds],
        **time_to_target(args.target, reached, epoch_seconds, eval_seconds),
    }


def time_to_target(target, reached, epoch_seconds, eval_seconds):
    """--target's keys, as bench/accuracy/fashion-mnist.mjs reports them: the first epoch whose test
    accuracy reached the target (1-based), the seconds until its evaluation ended, and the same without
    the test evaluations (training alone); null when no epoch reached it."""
    if target is None:
        return {}
    if reached is None:
        return {'target': target, 'reachedEpoch': None, 'secondsToTarget': None, 'trainSecondsToTarget': None}
    return {
        'target': target,
        'reachedEpoch': reached + 1,
        'secondsToTarget': round(epoch_seconds[reached], 2),
        'trainSecondsToTarget': round(epoch_seconds[reached] - sum(eval_seconds[:reached + 1]), 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('task', choices=['throughput', 'fashion-mnist'])
    parser.add_argument('--model', default='lenet5', help='lenet5, resnet20..resnet110, or a torchvision model name')
    parser.add_argument('--input', default='28,28,1', help='height,width,channels')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--threads', type=int, default=2, help='torch threads (the machine has 2 cores)')
    parser.add_argument('--warmup', type=int, default=5, help='steps run before timing starts')
    parser.add_argument('--steps', type=int, default=30, help='timed steps; the median is reported')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu', help='cuda: the first CUDA device (throughput only)')
    parser.add_argument('--memory-format', choices=['best', 'nchw', 'channels_last'], default='best')
    parser.add_argument('--epochs', type=int, default=5)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--seed', type=int, default=55)
    parser.add_argument('--normalize', action='store_true')
    parser.add_argument('--schedule', choices=['constant', 'cosine'], default='constant')
    parser.add_argument('--target', type=float, default=None,
                        help='fashion-mnist: stop at the first epoch whose test accuracy reaches this fraction (e.g. 0.89)')
    parser.add_argument('--data', default='/usr/share/datasets/fashion-mnist', help="Debian's dataset-fashion-mnist")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    print(json.dumps(throughput(args) if args.task == 'throughput' else fashion_mnist(args)))


if __name__ == '__main__':
    main()
