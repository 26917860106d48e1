"""``MethodConfig``: what a colorizer needs to be built — the method, its networks (as
``models.build`` specs) and its loss settings. Optimisation lives in the run config."""

from __future__ import annotations

import dataclasses

from colorization_tf.color import quantize

# The one method registry: name -> the module whose ``build`` makes its colorizer
# (imported on first use by ``colorizers.build``). Everything that lists methods reads it.
METHODS = {
    "supervised": "colorization_tf.colorizers.supervised",
    "cgan": "colorization_tf.colorizers.cgan",
    "vacgan": "colorization_tf.colorizers.vacgan",
    "wgan_gp": "colorization_tf.colorizers.wgan_gp",
    "classification": "colorization_tf.colorizers.classification",
    "rgb": "colorization_tf.colorizers.rgb",
    "multipath": "colorization_tf.colorizers.multipath",
    "hints": "colorization_tf.colorizers.hints",
}


@dataclasses.dataclass(frozen=True)
class MethodConfig:
    """One colorization method and its hyperparameters; fields a method does not use keep
    their defaults. Network specs are ``{"type": NAME, **constructor kwargs}``."""

    name: str = "supervised"
    generator: dict = dataclasses.field(default_factory=lambda: {"type": "unet"})
    discriminator: dict | None = None
    classifier: dict | None = None
    # reconstruction term (supervised, GANs): "l1" (eq. 1) or "l2" (eq. 2)
    loss: str = "l1"
    # GANs (Galvão et al. eq. 5-7; Tran and Ly 2024 WGAN-GP)
    reconstruction_weight: float = 100.0
    real_target: float = 1.0
    g_steps_per_d_step: int = 1
    gamma: float = 0.01
    n_critic: int = 5
    penalty_weight: float = 10.0
    # classification (Li and Wang, Kumar et al., Tran and Ly)
    bins: dict = dataclasses.field(
        default_factory=lambda: {"kind": "gamut", "grid": quantize.GAMUT_GRID})
    neighbours: int = quantize.NEIGHBOURS
    soft_sigma: float = quantize.SOFT_SIGMA
    prior_sigma: float = quantize.PRIOR_SIGMA
    rebalance_lambda: float = quantize.REBALANCE_LAMBDA
    decode: str = quantize.DEFAULT_DECODER
    temperature: float = quantize.ANNEAL_TEMPERATURE
    top_k: int = quantize.TOP_K
    loss_resolution: str = "logits"
    # learned hints (Zhang et al. 2017): also read the global hint (a distribution over
    # ``bins`` plus saturation and a 'given' flag), broadcast into the generator
    global_hint: bool = False

    def validate(self) -> None:
        """Raises a ValueError naming the setting that cannot work."""
        if self.name not in METHODS:
            raise ValueError(f"method {self.name!r}: expected one of {', '.join(METHODS)}")
        if self.name in ("cgan", "vacgan", "wgan_gp", "multipath") and not self.discriminator:
            raise ValueError(f"method {self.name}: needs a discriminator network")
        if self.name == "vacgan" and not self.classifier:
            raise ValueError("method vacgan: needs a classifier network")
        if self.loss not in ("l1", "l2"):
            raise ValueError(f"loss {self.loss!r}: expected l1 or l2")
        if self.decode not in quantize.DECODERS:
            raise ValueError(f"--decode={self.decode}: expected one of "
                             f"{', '.join(quantize.DECODERS)}")
        if self.temperature <= 0:
            raise ValueError(f"--temperature={self.temperature}: expected a positive number")
