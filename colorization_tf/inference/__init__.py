"""Inference: load a run directory into a ``Predictor`` (the one batched
``predict(L) -> ab``), full-resolution colorization, reading people's images.

    predictor = load_run("runs/unet_l1-samples")
    rgb_uint8 = predictor.colorize_rgb(read_rgb("photo.jpg"))
"""

from colorization_tf.inference.loading import load_run
from colorization_tf.inference.predictor import Predictor
from colorization_tf.inference.user_images import ImageReadError, read_rgb

__all__ = ["ImageReadError", "Predictor", "load_run", "read_rgb"]
