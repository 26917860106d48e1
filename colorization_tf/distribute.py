"""``--strategy``: which ``tf.distribute`` strategy builds and runs the models."""

from __future__ import annotations

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def make_strategy(name: str = "default", tpu_address: str | None = None):
    """The strategy called ``name``; models and optimizers must be built in its scope."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu_address or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"--strategy={name!r}: expected one of {STRATEGIES}")


def mixed_precision_policy() -> str:
    """``mixed_float16`` where a GPU is visible, ``mixed_bfloat16`` on CPU/TPU."""
    return "mixed_float16" if tf.config.list_physical_devices("GPU") else "mixed_bfloat16"
