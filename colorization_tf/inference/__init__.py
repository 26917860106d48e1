"""Inference: load a run directory into a ``Predictor`` (the one batched
``predict(L) -> ab``), full-resolution colorization, reading people's images.

    predictor = load_run("runs/unet_l1-samples")
    rgb_uint8 = predictor.colorize_rgb(read_rgb("photo.jpg"))
"""

import importlib

# Loaded on first use, so that Pillow-only modules (``user_images``, which the web study
# server reads uploads with) import without TensorFlow.
_EXPORTS = {"ImageReadError": "user_images", "Predictor": "predictor", "load_run": "loading",
            "read_rgb": "user_images"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
