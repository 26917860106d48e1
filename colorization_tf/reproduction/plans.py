"""What each paper's experiment trains and evaluates (``PLANS``, by the short names of
``evaluation.papers``), and the two scales it runs at (``SCALES``): ``full`` is the
paper's presets and schedule; ``smoke`` the same flow with one epoch, a few images and
shrunken networks (what CI runs on mock data in a few minutes on a CPU)."""

from __future__ import annotations

import dataclasses

from colorization_tf.colorizers.config import MethodConfig


@dataclasses.dataclass(frozen=True)
class Decoding:
    """One way to score a run: its name in the report and (decode, temperature) for
    classification runs (None: the run's own)."""

    name: str
    decode: str | None = None
    temperature: float | None = None


@dataclasses.dataclass(frozen=True)
class MethodPlan:
    """A method of the paper: a run directory ``runs/NAME`` trained from ``preset`` with
    ``settings`` (``training.config.apply_flags`` names) on top, scored once per
    ``decodings`` entry (default: once, under NAME)."""

    name: str
    preset: str
    settings: dict = dataclasses.field(default_factory=dict)
    decodings: tuple[Decoding, ...] = ()

    def scored_as(self) -> tuple[Decoding, ...]:
        return self.decodings or (Decoding(self.name),)


@dataclasses.dataclass(frozen=True)
class PaperPlan:
    """A paper's experiment: its methods, in report order, and whether it scored images
    with a classifier (Li and Wang's VGG: here the reference classifier)."""

    paper: str
    methods: tuple[MethodPlan, ...]
    reference_classifier: bool = False
    reference_epochs: int = 10
    reference_image_size: int = 32


@dataclasses.dataclass(frozen=True)
class Scale:
    """How big a reproduction runs: ``settings`` go on top of every method's (None: the
    preset's), ``tiny_networks`` shrinks every network, and the evaluation and reference
    classifier use the sizes below (None: all images)."""

    name: str
    settings: dict = dataclasses.field(default_factory=dict)
    tiny_networks: bool = False
    eval_max_examples: int | None = None
    eval_batch_size: int = 64
    num_images: int = 8
    reference_epochs: int | None = None
    reference_batch_size: int = 64


PLANS: dict[str, PaperPlan] = {
    # Galvão et al. 2019 §5: U-Net with MAE and with MSE (Figure 4 (c), (d)), the
    # conditional DCGAN and VAC+GAN, 200 epochs at batch 128 on CIFAR-10; Table 1.
    "galvao": PaperPlan("galvao", (
        MethodPlan("unet_l1", "unet_l1"), MethodPlan("unet_l2", "unet_l2"),
        MethodPlan("cgan", "cgan"), MethodPlan("vacgan", "vacgan"))),
    # Li and Wang 2018 §5: regression and classification from scratch (100 epochs), the
    # classification net scored plain and with the annealed mean (T = 0.89), transfer
    # learning from VGG16 (50 epochs at 224 px); a classifier (VGG, 20 epochs) scores
    # gray, colorized and ground-truth test images.
    "li_wang": PaperPlan("li_wang", (
        MethodPlan("regression", "regression"),
        MethodPlan("classification", "classification", decodings=(
            Decoding("classification", "mode"),
            Decoding("classification_annealed", "annealed", 0.89))),
        MethodPlan("transfer_vgg16", "classification_vgg16",
                   decodings=(Decoding("transfer_vgg16", "mode"),))),
        reference_classifier=True, reference_epochs=20),
    # Tran Nhat and Ly Nguyen Thuy 2024: reconstruction in RGB and in Lab, classification
    # over 361 bins (centroid and softmax top-k decoding), WGAN-GP; STL-10 at 96 px.
    "tran": PaperPlan("tran", (
        MethodPlan("reconstruction_rgb", "unet_rgb", {"image_size": 96}),
        MethodPlan("reconstruction_lab", "unet_l1", {"image_size": 96}),
        MethodPlan("classification_q361", "classification_q361", {"image_size": 96},
                   decodings=(Decoding("classification_q361_centroid", "mode"),
                              Decoding("classification_q361_softmax", "topk"))),
        MethodPlan("wgan_gp", "wgan_gp", {"image_size": 96}))),
}

SCALES: dict[str, Scale] = {
    "full": Scale("full"),
    "smoke": Scale("smoke", settings={"epochs": 1, "batch_size": 8, "max_examples": 24,
                                      "eval_examples": 8, "image_size": 32},
                   tiny_networks=True, eval_max_examples=16, eval_batch_size=8,
                   num_images=3, reference_epochs=1, reference_batch_size=8),
}

# The shrunken networks of the smoke scale, by network type (constructor arguments).
TINY = {
    "unet": {"encoder_filters": [8, 16, 32]},
    "zhang": {"widths": [8, 8, 16, 16, 16, 16, 16, 8], "convs": [1] * 8},
    "regression": {"widths": [8, 8, 16, 16, 16, 16, 16], "convs": [2, 2, 2, 1, 1, 1, 1],
                   "deconv_width": 8},
    "vgg16_zhang": {"head_filters": 8},
    "discriminator": {"filters": [8, 16]},
    "critic": {"filters": [8, 16]},
    "auxiliary_classifier": {"filters": [8, 8], "strides": [2, 1]},
}


def tiny_networks(method: MethodConfig) -> dict:
    """``training.config.override`` values that shrink every network of ``method`` (and
    take WGAN-GP to 2 critic steps); pretrained backbones are not loaded."""
    out = {}
    for role in ("generator", "discriminator", "classifier"):
        spec = getattr(method, role, None)
        if spec:
            shrunk = {**spec, **TINY.get(spec.get("type"), {})}
            if "backbone_weights" in shrunk:
                shrunk["backbone_weights"] = "none"
            out[role] = shrunk
    if method.name == "wgan_gp":
        out["n_critic"] = 2
    return out


def get(paper: str) -> PaperPlan:
    if paper not in PLANS:
        raise ValueError(f"--paper={paper}: expected one of {', '.join(sorted(PLANS))}")
    return PLANS[paper]


def scale(name: str) -> Scale:
    if name not in SCALES:
        raise ValueError(f"--scale={name}: expected one of {', '.join(SCALES)}")
    return SCALES[name]
