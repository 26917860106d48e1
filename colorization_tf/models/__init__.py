"""Keras subclassed networks (no training logic): generators, discriminators, classifiers.

``build({"type": NAME, **kwargs})`` creates the network registered as NAME; modules are
imported on first use so each network lives in its own module. A ``"dtype"`` key builds the
network, all its layers included, in that dtype policy whatever the global one is (a GAN's
adversary in float32 under mixed precision).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator

import keras

from colorization_tf.models.unet import UNet

NETWORKS = {
    "unet": "colorization_tf.models.unet:UNet",
    "discriminator": "colorization_tf.models.discriminator:Discriminator",
    "critic": "colorization_tf.models.discriminator:Critic",
    "auxiliary_classifier": "colorization_tf.models.classifier:AuxiliaryClassifier",
    "zhang": "colorization_tf.models.zhang:ZhangNet",
    "regression": "colorization_tf.models.regression:RegressionNet",
    "multipath_generator": "colorization_tf.models.multipath:MultipathGenerator",
    "patch_discriminator": "colorization_tf.models.multipath:PatchDiscriminator",
    "vgg16_zhang": "colorization_tf.models.vgg16:VGG16Zhang",
    "resnet18": "colorization_tf.models.resnet:ResNet18",
}


def network_class(name: str) -> type[keras.Model]:
    """The class registered as ``name`` in ``NETWORKS``."""
    if name not in NETWORKS:
        raise ValueError(f"network type {name!r}: expected one of {sorted(NETWORKS)}")
    module, cls = NETWORKS[name].split(":")
    return getattr(importlib.import_module(module), cls)


@contextlib.contextmanager
def dtype_policy(name: str | None) -> Iterator[None]:
    """Keras's global dtype policy set to ``name`` for the block (None leaves it) and
    restored afterwards: layers take the global policy when they are created, not their
    parent's, so this is how a whole network gets a policy of its own."""
    if name is None:
        yield
        return
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def build(spec: dict) -> keras.Model:
    """Creates a network from ``{"type": NAME, **constructor kwargs}``, in the policy
    ``spec["dtype"]`` names where given (else the global one)."""
    spec = dict(spec)
    with dtype_policy(spec.get("dtype")):
        return network_class(spec.pop("type"))(**spec)


__all__ = ["NETWORKS", "UNet", "build", "dtype_policy", "network_class"]
