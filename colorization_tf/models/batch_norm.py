"""Batch normalization on TensorFlow's fused kernel.

Keras 3 normalizes with separate ops (cast to float32, mean, variance, multiply, add, each
with its own gradient), about a sixth of the U-Net's train step on a CPU. TensorFlow's
``FusedBatchNormV3`` does the same in one kernel (oneDNN's on x86, cuDNN's on GPUs), reads
bfloat16/float16 activations with float32 statistics, and lets Grappler fuse it into the
convolution before it at inference. Same variables, same numbers as
``keras.layers.BatchNormalization`` (tested against it), so saved weights load either way.
"""

from __future__ import annotations

import keras
import tensorflow as tf

FUSED_DTYPES = (tf.float32, tf.bfloat16, tf.float16)


class BatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` that runs the fused kernel for 4-D channels-last
    inputs; Keras's own path where the kernel cannot do the job (statistics synchronized
    over several replicas, masks, renorm, other ranks or axes). The class keeps Keras's
    name, so weight files address its variables as before."""

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        gamma = self.gamma if self.scale else tf.ones_like(self.moving_mean)
        beta = self.beta if self.center else tf.zeros_like(self.moving_mean)
        if training and self.trainable:
            outputs, mean, corrected = tf.compat.v1.nn.fused_batch_norm(
                inputs, gamma, beta, epsilon=self.epsilon, is_training=True)
            count = tf.cast(tf.size(inputs) // tf.shape(inputs)[-1], tf.float32)
            variance = corrected * (count - 1.0) / count  # the kernel's is unbiased
            self.moving_mean.assign(self.moving_mean * self.momentum
                                    + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum
                                        + variance * (1.0 - self.momentum))
            return outputs
        outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
            inputs, gamma, beta, mean=self.moving_mean, variance=self.moving_variance,
            epsilon=self.epsilon, is_training=False)
        return outputs

    def _fusable(self, inputs, training, mask) -> bool:
        """Whether the fused kernel computes what Keras would here."""
        if (keras.backend.backend() != "tensorflow" or mask is not None or self.renorm
                or len(inputs.shape) != 4 or self.axis not in (3, -1)
                or inputs.dtype not in FUSED_DTYPES or not isinstance(training, (bool, type(None)))):
            return False
        if training and self.trainable and self.synchronized:
            context = tf.distribute.get_replica_context()
            return context is not None and context.num_replicas_in_sync == 1
        return True
