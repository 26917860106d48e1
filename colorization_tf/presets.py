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
        "batch_size": 128, "epochs": 200, "samples_epochs": 20, "image_size": 32,
    },
    "unet_l2": {
        "method": "supervised", "loss": "l2", "generator": CIFAR_UNET,
        "learning_rate": 1e-3, "decay_rate": 0.3, "decay_steps": 17_500,
        "batch_size": 128, "epochs": 200, "samples_epochs": 20, "image_size": 32,
    },
    # Seed 000 §4.2, §5.1: U-Net G with dropout 0.5 as noise, conv D on concat(L, ab),
    # eq. 5/6 with lambda=100 L1 ("loss": "l2" for the L2 variant), Adam 3e-4 decayed x0.1
    # every 20,000 steps, D at lr/10, 2 G updates per D update, one-sided label smoothing
    # off ("real_target": 0.9 turns it on), 200 epochs, batch 128.
    "cgan": {
        "method": "cgan", "loss": "l1", "reconstruction_weight": 100.0,
        "generator": {**CIFAR_UNET, "dropout": 0.5},
        "discriminator": {"type": "discriminator", "filters": [64, 128, 256, 512],
                          "head": "patch"},
        "learning_rate": 3e-4, "decay_rate": 0.1, "decay_steps": 20_000, "d_lr_scale": 0.1,
        "g_steps_per_d_step": 2, "real_target": 1.0,
        "batch_size": 128, "epochs": 200, "samples_epochs": 10, "image_size": 32,
    },
    # Seed 000 §4.3, §5.1: the cgan plus classifier C (num_classes from the data), eq. 7
    # with gamma=0.01, C at lr/10.
    "vacgan": {
        "method": "vacgan", "loss": "l1", "reconstruction_weight": 100.0, "gamma": 0.01,
        "generator": {**CIFAR_UNET, "dropout": 0.5},
        "discriminator": {"type": "discriminator", "filters": [64, 128, 256, 512],
                          "head": "patch"},
        "classifier": {"type": "auxiliary_classifier", "filters": [64, 128, 256, 256],
                       "strides": [2, 2, 2, 1]},
        "learning_rate": 3e-4, "decay_rate": 0.1, "decay_steps": 20_000, "d_lr_scale": 0.1,
        "c_lr_scale": 0.1, "g_steps_per_d_step": 2, "real_target": 1.0,
        "batch_size": 128, "epochs": 200, "samples_epochs": 10, "image_size": 32,
    },
    # Seed 004: U-Net G vs an InstanceNorm critic, WGAN-GP with n_critic=5 and penalty 10,
    # plus L1, batch 64, STL-10 at 96 px. The seed gives no learning rate, L1 weight or
    # epochs: Adam 1e-4 (beta 0, 0.9) follows Gulrajani et al., lambda=100 the cgan.
    "wgan_gp": {
        "method": "wgan_gp", "loss": "l1", "reconstruction_weight": 100.0,
        "generator": CIFAR_UNET,
        "discriminator": {"type": "critic", "filters": [64, 128, 256, 512]},
        "n_critic": 5, "penalty_weight": 10.0,
        "learning_rate": 1e-4, "adam": {"beta_1": 0.0, "beta_2": 0.9}, "d_lr_scale": 1.0,
        "batch_size": 64, "epochs": 100, "samples_epochs": 5, "image_size": 96,
    },
    # Seeds 002-004 (Zhang et al.): Zhang-style net, logits over Q ab bins (centres of the
    # grid-10 lattice inside the sRGB gamut; "classification_q361" has seed 004's 361 bins),
    # 5-NN soft-encoding with sigma=5, prior smoothed with sigma=5, rebalancing lambda=0.5,
    # annealed-mean decoding at T=0.38 (top-k uses k=5); Adam 1e-4, batch 128, 100 epochs.
    "classification": {
        "method": "classification", "generator": {"type": "zhang"},
        "bins": {"kind": "gamut", "grid": 10}, "neighbours": 5, "soft_sigma": 5.0,
        "prior_sigma": 5.0, "rebalance_lambda": 0.5, "decode": "annealed",
        "temperature": 0.38, "top_k": 5, "learning_rate": 1e-4,
        "batch_size": 128, "epochs": 100, "samples_epochs": 5, "image_size": 32,
    },
    "classification_q361": {
        "method": "classification", "generator": {"type": "zhang"},
        "bins": {"kind": "grid", "grid": 12, "range": [-110, 118]}, "neighbours": 5,
        "soft_sigma": 5.0, "prior_sigma": 5.0, "rebalance_lambda": 0.5, "decode": "annealed",
        "temperature": 0.38, "top_k": 5, "learning_rate": 1e-4,
        "batch_size": 128, "epochs": 100, "samples_epochs": 5, "image_size": 32,
    },
    # Seed 002 §4.1.1, Fig. 4: dilated VGG-style regression net, sigmoid ab, L2 plus weight
    # decay (lambda=0.01 of §5.1, as Adam's decoupled weight decay); Adam 1e-4, 128, 100.
    "regression": {
        "method": "supervised", "loss": "l2", "generator": {"type": "regression"},
        "learning_rate": 1e-4, "adam": {"weight_decay": 0.01},
        "batch_size": 128, "epochs": 100, "samples_epochs": 8, "image_size": 32,
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
