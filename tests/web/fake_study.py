"""A study on fake images and fake colorizers (no TensorFlow, no trained run): shared by
the web tests, the subprocess server (``fake_server.py``) and ``benchmarks/web_answers``."""

from __future__ import annotations

import random

import numpy as np

from colorization_tf.web import images, storage, study

RUNS = ("run_a", "run_b")


def fake_originals(count: int = 12, size: int = 32, seed: int = 0) -> np.ndarray:
    """``count`` colourful uint8 test pictures: smooth gradients plus noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    pictures = []
    for _ in range(count):
        a, b, c = rng.uniform(0.2, 1.0, 3)
        rgb = np.stack([a * x, b * y, c * (1 - x * y)], axis=-1)
        rgb = rgb + rng.normal(0, 0.03, rgb.shape)
        pictures.append(np.clip(rgb * 255, 0, 255).astype(np.uint8))
    return np.stack(pictures)


def hue_shift(rgb: np.ndarray) -> np.ndarray:
    """A fake colorizer: rotates the channels (a 120 degree hue shift), full resolution."""
    return np.round(np.roll(rgb, 1, axis=-1) * 255.0).astype(np.uint8)


def hue_shift_back(rgb: np.ndarray) -> np.ndarray:
    """A second fake colorizer: the opposite rotation."""
    return np.round(np.roll(rgb, -1, axis=-1) * 255.0).astype(np.uint8)


def fake_colorizers(runs=RUNS) -> dict:
    functions = [hue_shift, hue_shift_back]
    return {name: functions[i % 2] for i, name in enumerate(runs)}


def prepare(database, count: int = 12, mode: str = "single", trials: int = 10,
            practice_trials: int = 2, attention_checks: float = 0.1, display_ms: int = 0,
            runs=RUNS, colorizers=None, log=lambda _: None):
    """``(config, storage, pool)`` of a fake study on ``database``."""
    colorizers = colorizers or fake_colorizers(runs)
    config = study.StudyConfig(runs=tuple(runs), source="fake:test:32", images=count,
                               mode=mode, trials=trials, practice_trials=practice_trials,
                               attention_checks=attention_checks, display_ms=display_ms)
    db = storage.Storage(database)
    pool = images.build_pool(db, images.cache_dir_for(database), config.source, count,
                             colorizers, lambda: fake_originals(count), log=log)
    return config, db, pool


def make_app(database, seed: int | None = 0, **options):
    """``(app, storage)``: the FastAPI app of a fake study (colorize page included)."""
    from colorization_tf.web import app as app_lib

    limits = {key: options.pop(key) for key in ("max_upload_bytes", "max_pixels")
              if key in options}
    config, db, pool = prepare(database, **options)
    colorizers = fake_colorizers(config.runs)
    rng = random.Random(seed) if seed is not None else None
    return app_lib.create_app(config, db, pool, images.colorize_with(colorizers), rng=rng,
                              **limits), db
