"""``--strategy``: which ``tf.distribute`` strategy builds and runs the models."""

from __future__ import annotations

import functools
from collections.abc import Callable

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def make_strategy(name: str = "default", tpu_address: str | None = None):
    """The strategy called ``name``; models and optimizers must be built in its scope."""
    if name == "default":
        return tf.distribute.get_strategy()
    return _shared_strategy(name, tpu_address)


@functools.cache
def _shared_strategy(name: str, tpu_address: str | None):
    """One instance per kind and process: strategies created side by side share collective
    instance keys, and their all-reduces then collide ("Shape mismatch in the collective")."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return _multi_worker_strategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu_address or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"--strategy={name!r}: expected one of {STRATEGIES}")


class KerasMultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """MultiWorkerMirroredStrategy with the ``reduce`` Keras 3's TF trainer expects.

    Keras 3 calls ``reduce`` in two ways only MirroredStrategy accepts
    (tensorflow/tensorflow#72388): ``fit`` all-reduces its first batch (our dict of ``L``,
    ``ab``, ``label``) with ``reduce("MEAN", batch, axis=None)`` to learn its shapes, and
    every step reduces the scalar logs with ``reduce("MEAN", loss, axis=0)``. Here a nest
    is reduced leaf by leaf (in ``tf.nest`` order, the same on every worker) and a scalar
    is averaged over the replicas (``axis=None``): the mean of the per-replica means,
    which is the global mean since every replica's batch has the same size."""

    def reduce(self, reduce_op, value, axis):
        reduce_one = super().reduce

        def reduce_leaf(leaf):
            if leaf is None:
                return None
            rank = self.experimental_local_results(leaf)[0].shape.rank
            return reduce_one(reduce_op, leaf, None if rank == 0 else axis)

        return tf.nest.map_structure(reduce_leaf, value)


def _multi_worker_strategy():
    """``--strategy=multi_worker``: the cluster and this worker's role come from the
    ``TF_CONFIG`` environment variable; CPU workers all-reduce over gRPC (ring), GPU
    workers with NCCL (``AUTO``). Must be created before any other TensorFlow op of the
    process (collective ops are configured when the runtime starts)."""
    try:
        return KerasMultiWorkerStrategy()
    except RuntimeError as err:
        if "program startup" not in str(err):
            raise
        raise RuntimeError(
            "--strategy=multi_worker: the strategy must be created before any other "
            "TensorFlow op of the process: call colorization_tf.training.strategies."
            "make_strategy('multi_worker') before building any model or dataset") from None


def distributed_dataset(strategy, make: Callable[[int, tuple[int, int]], tf.data.Dataset],
                        global_batch_size: int):
    """The dataset ``make(per_replica_batch_size, (pipelines, pipeline_id))`` builds, fed to
    every replica. Each input pipeline builds its own (no graph rewriting, which would
    reseed tf.data's shuffle), so a distributed run sees the single-device run's batches."""
    if strategy.num_replicas_in_sync == 1:
        return make(global_batch_size, (1, 0))

    def per_pipeline(context: tf.distribute.InputContext) -> tf.data.Dataset:
        per_replica = context.get_per_replica_batch_size(global_batch_size)
        return make(per_replica, (context.num_input_pipelines, context.input_pipeline_id))

    return strategy.distribute_datasets_from_function(per_pipeline)
