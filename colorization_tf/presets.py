"""Named experiments: the seeds' hyperparameters, one dict each.

A preset says which colorizer (``method``) to build, its networks (``generator`` etc., as
``models.build`` specs), losses and optimiser schedule, and the paper's batch size and
epochs. ``samples_epochs`` is the short schedule used on the embedded ``samples`` dataset
(a few minutes on a laptop CPU) when ``--epochs`` is not given.
"""

from __future__ import annotations

import copy

CIFAR_UNET = {"type": "unet", "encoder_filters": [64, 128, 256, 512, 512], "first_stride": 1,
              "dropout": 0.0}

PRESETS: dict[str, dict] = {
    # Seed 000 §4.1, §5.1: U-Net, Adam 1e-3 decayed x0.3 every 17,500 steps, 200 epochs, 128.
    "unet_l1": {
        "method": "supervised", "loss": "l1", "generator": CIFAR_UNET,
        "learning_rate": 1e-3, "decay_rate": 0.3, "decay_steps": 17_500,
        "batch_size": 128, "epochs": 200, "samples_epochs": 30, "image_size": 32,
    },
    "unet_l2": {
        "method": "supervised", "loss": "l2", "generator": CIFAR_UNET,
        "learning_rate": 1e-3, "decay_rate": 0.3, "decay_steps": 17_500,
        "batch_size": 128, "epochs": 200, "samples_epochs": 30, "image_size": 32,
    },
}


def names() -> list[str]:
    return sorted(PRESETS)


def get(name: str, **overrides) -> dict:
    """A deep copy of preset ``name`` with ``overrides`` applied on top."""
    if name not in PRESETS:
        raise ValueError(f"--preset={name!r}: expected one of {', '.join(names())}")
    preset = copy.deepcopy(PRESETS[name])
    preset.update({k: v for k, v in overrides.items() if v is not None})
    preset["preset"] = name
    return preset
