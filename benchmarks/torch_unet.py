"""Reference figure for the throughput goal: Galvão et al.'s CIFAR U-Net train step in
PyTorch on the CPU (or a CUDA GPU with ``--device cuda``), eager or ``torch.compile``d,
channels-first or channels-last, float32, bfloat16 autocast or float16 autocast with loss
scaling (same layers as ``models/unet.py``: 4x4 convolutions,
encoder 64(s1)-128-256-512-512, decoder 512-256-128-64 with skip concatenation, batch
norm, LeakyReLU 0.2 / ReLU, 1x1 conv + tanh; L1 loss, Adam). Prints JSON.

Needs PyTorch, which the project does not depend on: run it in its own environment,
    python -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch numpy
    /tmp/torchvenv/bin/python benchmarks/torch_unet.py [--batch_size 128] [--steps 6] \
        [--compile] [--channels_last] [--bf16 | --fp16] [--device cuda]
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
    parser.add_argument("--fp16", action="store_true",
                        help="float16 autocast with a gradient scaler (GPU only)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    torch.manual_seed(0)
    device = torch.device(args.device)
    model = UNet().to(device)
    lightness = torch.rand(args.batch_size, 1, 32, 32, device=device) * 2 - 1
    ab = torch.rand(args.batch_size, 2, 32, 32, device=device) - 0.5
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        lightness = lightness.contiguous(memory_format=torch.channels_last)
        ab = ab.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    forward = torch.compile(model) if args.compile else model
    low = torch.float16 if args.fp16 else torch.bfloat16
    scaler = torch.amp.GradScaler(device.type, enabled=args.fp16)

    def step():
        optimizer.zero_grad()
        with torch.autocast(device.type, dtype=low, enabled=args.bf16 or args.fp16):
            loss = (forward(lightness) - ab).abs().mean()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    sync()
    seconds = time.perf_counter() - start
    mode = "compiled" if args.compile else "eager"
    print(json.dumps({"framework": f"torch {torch.__version__} {mode}",
                      "channels_last": args.channels_last,
                      "dtype": "float16" if args.fp16 else "bfloat16" if args.bf16 else "float32",
                      "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
                      "threads": torch.get_num_threads(), "batch_size": args.batch_size,
                      "params": sum(p.numel() for p in model.parameters()),
                      "images_per_s": round(args.steps * args.batch_size / seconds, 2)}))


if __name__ == "__main__":
    main()
