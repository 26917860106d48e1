"""float16 mixed precision (what --mixed_precision picks on a GPU): every optimizer of
every method is loss-scaled (the cgan's float32 adversary's too), and a compiled step
gives finite losses. Runs on CPU too."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from support import build, small_config, tiny_config

from colorization_tf.data import make_dataset


@pytest.mark.compiled
@pytest.mark.parametrize("preset", ["unet_l1", "cgan", "vacgan", "wgan_gp"])
def test_float16_steps_are_loss_scaled_and_finite(preset, tiny_data):
    keras.mixed_precision.set_global_policy("mixed_float16")
    config = (small_config if preset != "unet_l1" else tiny_config)(preset)
    colorizer = build(config)
    colorizer.build_all(32)
    optimizers = [optimizer for optimizer, _ in colorizer.optimizer_targets()]
    assert optimizers and all(isinstance(o, keras.optimizers.LossScaleOptimizer)
                              for o in optimizers)
    batch = next(iter(make_dataset(tiny_data, "train", 8, training=True)))
    logs = colorizer.fit(tf.data.Dataset.from_tensors(batch).repeat(), epochs=1,
                         steps_per_epoch=2, verbose=0).history
    assert logs and all(np.isfinite(values[-1]) for values in logs.values())
    assert colorizer.generator.down[0].layers[0].compute_dtype == "float16"
    if preset in ("cgan", "vacgan"):  # their presets' adversary computes in float32
        assert colorizer.discriminator.blocks[0].layers[0].compute_dtype == "float32"
    ab = colorizer.predict_ab(batch["L"])
    assert ab.dtype == tf.float32
