"""Named experiments: the papers' hyperparameters, one typed ``RunConfig`` each.

A preset says which colorizer (``MethodConfig.name``) to build, its networks (as
``models.build`` specs), losses, optimiser schedule (``OptimConfig``), and the paper's
batch size and epochs (``RuntimeConfig``); ``samples_epochs`` is the short schedule used on
the embedded ``samples`` dataset when ``--epochs`` is not given. ``get(name)`` returns
one; ``training.config.apply_flags`` puts the command line on top.
"""

from __future__ import annotations

from colorization_tf.colorizers.config import MethodConfig
from colorization_tf.data.config import DataConfig
from colorization_tf.training.config import ConfigError, OptimConfig, RunConfig, RuntimeConfig

CIFAR_UNET = {"type": "unet", "encoder_filters": [64, 128, 256, 512, 512], "first_stride": 1,
              "dropout": 0.0}
# The adversary computes in float32 under mixed precision too: in bfloat16 its losses
# left float32's seed-to-seed band and test MAE suffered (docs/benchmarks.md).
PATCH_D = {"type": "discriminator", "filters": [64, 128, 256, 512], "head": "patch",
           "dtype": "float32"}


def _preset(name: str, method: MethodConfig, optim: OptimConfig, *, batch_size: int,
            epochs: int, samples_epochs: int, image_size: int,
            features: tuple[str, ...] = ()) -> RunConfig:
    return RunConfig(preset=name, method=method, optim=optim,
                     data=DataConfig(image_size=image_size, features=features),
                     runtime=RuntimeConfig(epochs=epochs, samples_epochs=samples_epochs,
                                           batch_size=batch_size))


def _unet(name: str, loss: str) -> RunConfig:
    # Galvão et al. §4.1, §5.1: U-Net, Adam 1e-3 decayed x0.3 every 17,500 steps, 200 epochs, 128.
    # On `samples`, 12 epochs: test MAE 0.1482 against 0.1479 for the earlier 20 (and 0.1524
    # for 20 with AVX2 oneDNN arithmetic; validation MAE stops improving after ~10 epochs),
    # so the main job fits in 10 minutes on a 2-core AVX2 CPU (docs/benchmarks.md, Main job).
    return _preset(name, MethodConfig("supervised", CIFAR_UNET, loss=loss),
                   OptimConfig(1e-3, decay_rate=0.3, decay_steps=17_500),
                   batch_size=128, epochs=200, samples_epochs=12, image_size=32)


def _gan(name: str, method: str, **extra) -> RunConfig:
    # Galvão et al. §4.2, §5.1: U-Net G with dropout 0.5 as noise, conv D on concat(L, ab), eq. 5/6
    # with lambda=100 L1, Adam 3e-4 decayed x0.1 every 20,000 steps, D (and VAC+GAN's C) at
    # lr/10, 2 G updates per D update, label smoothing off (real_target 0.9 turns it on).
    gan = MethodConfig(method, {**CIFAR_UNET, "dropout": 0.5}, PATCH_D, loss="l1",
                       reconstruction_weight=100.0, g_steps_per_d_step=2, **extra)
    optim = OptimConfig(3e-4, decay_rate=0.1, decay_steps=20_000,
                        scales={"discriminator": 0.1, "classifier": 0.1})
    return _preset(name, gan, optim, batch_size=128, epochs=200, samples_epochs=10,
                   image_size=32)


def _classification(name: str, bins: dict, generator: dict | None = None,
                    image_size: int = 32, epochs: int = 100,
                    samples_epochs: int = 5) -> RunConfig:
    # Li and Wang, Kumar et al., Tran and Ly (Zhang et al.): logits over Q ab bins, 5-NN soft-encoding sigma=5, prior
    # smoothed with sigma=5, rebalancing lambda=0.5, annealed mean T=0.38 (top-k k=5); Adam
    # 1e-4, batch 128, 100 epochs.
    method = MethodConfig("classification", generator or {"type": "zhang"}, bins=bins,
                          neighbours=5,
                          soft_sigma=5.0, prior_sigma=5.0, rebalance_lambda=0.5,
                          decode="annealed", temperature=0.38, top_k=5)
    return _preset(name, method, OptimConfig(1e-4), batch_size=128, epochs=epochs,
                   samples_epochs=samples_epochs, image_size=image_size)


def _hints(name: str, global_hint: bool) -> RunConfig:
    # Zhang et al. 2017 (learned hints) on Galvão et al.'s U-Net: input concat(L,
    # hint_ab, hint_mask), points simulated from the ground truth (count ~ geometric
    # p=1/8, Gaussian locations around the centre, 1x1-9x9 patches of the patch's mean ab);
    # the global variant adds the ab-bin distribution + saturation of the image (dropped at
    # random) at the bottleneck. unet_l1's L1 loss, optimiser, schedule and batch.
    features = ("hints", "global_hint") if global_hint else ("hints",)
    return _preset(name, MethodConfig("hints", CIFAR_UNET, loss="l1", global_hint=global_hint),
                   OptimConfig(1e-3, decay_rate=0.3, decay_steps=17_500),
                   batch_size=128, epochs=200, samples_epochs=20, image_size=32,
                   features=features)


PRESETS: dict[str, RunConfig] = {
    "unet_l1": _unet("unet_l1", "l1"),
    "unet_l2": _unet("unet_l2", "l2"),
    "unet_hints": _hints("unet_hints", global_hint=False),
    "unet_hints_global": _hints("unet_hints_global", global_hint=True),
    "cgan": _gan("cgan", "cgan"),
    # Galvão et al. §4.3: the cgan plus classifier C (num_classes from the data), eq. 7, gamma 0.01.
    "vacgan": _gan("vacgan", "vacgan", gamma=0.01, classifier={
        "type": "auxiliary_classifier", "filters": [64, 128, 256, 256], "strides": [2, 2, 2, 1]}),
    # Tran and Ly 2024: U-Net G vs an InstanceNorm critic, WGAN-GP with n_critic=5 and penalty 10,
    # plus L1, batch 64, STL-10 at 96 px. The paper gives no learning rate, L1 weight or
    # epochs: Adam 1e-4 (beta 0, 0.9) follows Gulrajani et al., lambda=100 the cgan.
    "wgan_gp": _preset(
        "wgan_gp",
        MethodConfig("wgan_gp", CIFAR_UNET, {"type": "critic", "filters": [64, 128, 256, 512]},
                     loss="l1", reconstruction_weight=100.0, n_critic=5, penalty_weight=10.0),
        OptimConfig(1e-4, beta_1=0.0, beta_2=0.9),
        batch_size=64, epochs=100, samples_epochs=5, image_size=96),
    "classification": _classification("classification", {"kind": "gamut", "grid": 10}),
    # Tran and Ly's 361 bins: size 12 over [-110, 118].
    "classification_q361": _classification(
        "classification_q361", {"kind": "grid", "grid": 12, "range": [-110, 118]}),
    # Li and Wang §4.1.1, Fig. 4: dilated VGG-style regression net, sigmoid ab, L2 plus weight
    # decay (lambda=0.01 of §5.1, as Adam's decoupled weight decay); Adam 1e-4, 128, 100.
    "regression": _preset(
        "regression", MethodConfig("supervised", {"type": "regression"}, loss="l2"),
        OptimConfig(1e-4, weight_decay=0.01),
        batch_size=128, epochs=100, samples_epochs=8, image_size=32),
    # Tran and Ly's reconstruction approach: the unet_l1 U-Net predicting sRGB (tanh -> [0, 1])
    # from L with an L1 loss on RGB.
    "unet_rgb": _preset("unet_rgb", MethodConfig("rgb", CIFAR_UNET, loss="l1"),
                        OptimConfig(1e-3, decay_rate=0.3, decay_steps=17_500),
                        batch_size=128, epochs=200, samples_epochs=20, image_size=32),
    # Li and Wang §3.2, §4, §5.1: VGG16 conv blocks 1-5 (ImageNet weights, fine-tuned) replace
    # the first blocks of the classification net; gray as 3 channels at 224 px; Adam 1e-4,
    # batch 128, 50 epochs; the rebalanced soft-encoded loss and decoders of classification.
    "classification_vgg16": _classification(
        "classification_vgg16", {"kind": "gamut", "grid": 10},
        generator={"type": "vgg16_zhang", "image_size": 224, "freeze_backbone": False,
                   "backbone_weights": "imagenet"},
        image_size=224, epochs=50, samples_epochs=2),
    # Sarkar et al. 2022: gray + Canny edges in, RGB + saliency out, frozen ImageNet ResNet-18 features
    # at the 6th down layer, six-layer PatchGAN; L1 (1) + GAN (0.5) + saliency-weighted L1
    # (0.05) + saliency map (0.05); Adam, G 1e-4, D 1e-5; batch 64 at 64 px. The paper gives
    # no epoch count for this model: 100, as its other models.
    "multipath": _preset(
        "multipath",
        MethodConfig("multipath", {"type": "multipath_generator", "image_size": 64,
                                   "backbone_weights": "imagenet"},
                     {"type": "patch_discriminator"}),
        OptimConfig(1e-4, scales={"discriminator": 0.1}),
        batch_size=64, epochs=100, samples_epochs=3, image_size=64,
        features=("edges", "saliency")),
    # Photos at 256 px: the U-Net at pix2pix depth (the same 4x4 conv / BN / LeakyReLU
    # blocks, 64-128-256-512-512-512-512-512 all at stride 2, down to 1x1), unet_l1's loss
    # and schedule; random 256 crops of images fitted to 288 px (x1.125, pix2pix's 286)
    # plus flips; batch 16, 100 epochs.
    "unet_l1_256": _preset(
        "unet_l1_256",
        MethodConfig("supervised", {"type": "unet", "first_stride": 2, "dropout": 0.0,
                                    "encoder_filters": [64, 128, 256] + [512] * 5}, loss="l1"),
        OptimConfig(1e-3, decay_rate=0.3, decay_steps=17_500),
        batch_size=16, epochs=100, samples_epochs=2, image_size=256,
    ).replace(runtime=RuntimeConfig(epochs=100, samples_epochs=2, batch_size=16,
                                    crop_scale=1.125)),
    # cgan at 256 px: that U-Net with dropout 0.5 as noise, the PatchGAN D (16x16 patches),
    # eq. 5/6 with lambda=100 L1, cgan's optimisers; same crops, batch 16, 100 epochs.
    "cgan_256": _preset(
        "cgan_256",
        MethodConfig("cgan", {"type": "unet", "first_stride": 2, "dropout": 0.5,
                              "encoder_filters": [64, 128, 256] + [512] * 5}, PATCH_D,
                     loss="l1", reconstruction_weight=100.0, g_steps_per_d_step=2),
        OptimConfig(3e-4, decay_rate=0.1, decay_steps=20_000, scales={"discriminator": 0.1}),
        batch_size=16, epochs=100, samples_epochs=2, image_size=256,
    ).replace(runtime=RuntimeConfig(epochs=100, samples_epochs=2, batch_size=16,
                                    crop_scale=1.125)),
}


def names() -> list[str]:
    return sorted(PRESETS)


def get(name: str) -> RunConfig:
    """The preset called ``name`` (configs are frozen, so it can be shared)."""
    if name not in PRESETS:
        raise ConfigError(f"--preset={name}: expected one of {', '.join(names())}")
    return PRESETS[name]
