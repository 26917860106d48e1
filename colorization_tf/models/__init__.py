"""Keras subclassed networks (no training logic): generators, discriminators, classifiers.

``build({"type": NAME, **kwargs})`` creates the network registered as NAME; modules are
imported on first use so each network lives in its own module.
"""

from __future__ import annotations

import importlib

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


def build(spec: dict) -> keras.Model:
    """Creates a network from ``{"type": NAME, **constructor kwargs}``."""
    spec = dict(spec)
    return network_class(spec.pop("type"))(**spec)


__all__ = ["NETWORKS", "UNet", "build", "network_class"]
