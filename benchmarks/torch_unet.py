"""Reference figure for the throughput goal: Galvão et al.'s CIFAR U-Net train step in
PyTorch on the CPU, eager or ``torch.compile``d, channels-first or channels-last, float32
or bfloat16 autocast (same layers as ``models/unet.py``: 4x4 convolutions,
encoder 64(s1)-128-256-512-512, decoder 512-256-128-64 with skip concatenation, batch
norm, LeakyReLU 0.2 / ReLU, 1x1 conv + tanh; L1 loss, Adam). Prints JSON.

Needs PyTorch, which the project does not depend on: run it in its own environment,
    python -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch numpy
    /tmp/torchvenv/bin/python benchmarks/torch_unet.py [--batch_size 128] [--steps 6] \
        [--compile] [--channels_last] [--bf16]
and compare with ``python benchmarks/throughput.py --methods unet_l1 --batch_size 128``
run on the same machine.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from torch import nn

ENCODER = (64, 128, 256, 512, 512)


def down(cin: int, cout: int, stride: int) -> nn.Sequential:
    pad = nn.ZeroPad2d((1, 2, 1, 2)) if stride == 1 else nn.ZeroPad2d(1)  # 'same'
    return nn.Sequential(pad, nn.Conv2d(cin, cout, 4, stride, bias=False),
                         nn.BatchNorm2d(cout, momentum=0.1), nn.LeakyReLU(0.2))


def up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False),
                         nn.BatchNorm2d(cout, momentum=0.1), nn.ReLU())


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        channels = [1, *ENCODER]
        self.downs = nn.ModuleList(down(channels[i], channels[i + 1], 1 if i == 0 else 2)
                                   for i in range(len(ENCODER)))
        skips = ENCODER[:-1][::-1]
        ins = [ENCODER[-1]] + [2 * s for s in skips[:-1]]
        self.ups = nn.ModuleList(up(cin, cout) for cin, cout in zip(ins, skips, strict=True))
        self.head = nn.Conv2d(2 * skips[-1], 2, 1)

    def forward(self, x):
        feats = []
        for block in self.downs:
            x = block(x)
            feats.append(x)
        for block, skip in zip(self.ups, feats[-2::-1], strict=True):
            x = torch.cat([block(x), skip], dim=1)
        return torch.tanh(self.head(x))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--channels_last", action="store_true",
                        help="model and inputs in channels-last memory format")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast (CPU AMP)")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = UNet()
    lightness = torch.rand(args.batch_size, 1, 32, 32) * 2 - 1
    ab = torch.rand(args.batch_size, 2, 32, 32) - 0.5
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        lightness = lightness.contiguous(memory_format=torch.channels_last)
        ab = ab.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    forward = torch.compile(model) if args.compile else model

    def step():
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            loss = (forward(lightness) - ab).abs().mean()
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    mode = "compiled" if args.compile else "eager"
    print(json.dumps({"framework": f"torch {torch.__version__} {mode}",
                      "channels_last": args.channels_last,
                      "dtype": "bfloat16" if args.bf16 else "float32",
                      "threads": torch.get_num_threads(), "batch_size": args.batch_size,
                      "params": sum(p.numel() for p in model.parameters()),
                      "images_per_s": round(args.steps * args.batch_size / seconds, 2)}))


if __name__ == "__main__":
    main()
