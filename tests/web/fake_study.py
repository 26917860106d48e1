"""A study on fake images and fake colorizers (no TensorFlow, no trained run): shared by
the web tests, the subprocess server (``fake_server.py``) and ``benchmarks/web_answers``."""

from __future__ import annotations

import random

import numpy as np

from colorization_tf.web import images, storage, study_config

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


def to_uint8(codes: np.ndarray) -> np.ndarray:
    """sRGB codes (uint8, or uint16 as 257 x uint8) as uint8."""
    codes = np.asarray(codes)
    return codes if codes.dtype == np.uint8 else np.rint(codes / 257.0).astype(np.uint8)


def hue_shift(codes: np.ndarray) -> np.ndarray:
    """A fake colorizer: rotates the channels (a 120 degree hue shift), full resolution."""
    return np.roll(to_uint8(codes), 1, axis=-1)


def hue_shift_back(codes: np.ndarray) -> np.ndarray:
    """A second fake colorizer: the opposite rotation."""
    return np.roll(to_uint8(codes), -1, axis=-1)


def fake_colorizers(runs=RUNS) -> dict:
    functions = [hue_shift, hue_shift_back]
    return {name: functions[i % 2] for i, name in enumerate(runs)}


ADMIN_TOKEN = "test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def prepare(database, count: int = 12, mode: str = "single", trials: int = 10,
            practice_trials: int = 2, attention_checks: float = 0.1, display_ms: int = 0,
            runs=RUNS, colorizers=None, log=lambda _: None, exclusions=None):
    """``(config, storage, pool)`` of a fake study on ``database``."""
    colorizers = colorizers or fake_colorizers(runs)
    config = study_config.StudyConfig(runs=tuple(runs), source="fake:test:32", images=count,
                               mode=mode, trials=trials, practice_trials=practice_trials,
                               attention_checks=attention_checks, display_ms=display_ms,
                               **({} if exclusions is None else {"exclusions": exclusions}))
    db = storage.Storage(database)
    pool = images.build_pool(db, images.cache_dir_for(database), config.source, count,
                             colorizers, lambda: fake_originals(count), log=log)
    return config, db, pool


SERVER_OPTIONS = ("colorize_page", "https", "forwarded_allow_ips", "completion_code",
                  "completion_url", "max_participants", "new_sessions_per_hour", "uploads",
                  "admin_token")


def make_app(database, seed: int | None = 0, colorize_fn=True, **options):
    """``(app, storage)``: the FastAPI app of a fake study; the colorize page is on unless
    ``colorize_page=False``; ``colorize_fn`` True: the fake colorizers, None: none."""
    from colorization_tf.web import app as app_lib
    from colorization_tf.web import colorize_api, runs

    server = {key: options.pop(key) for key in SERVER_OPTIONS if key in options}
    server.setdefault("admin_token", ADMIN_TOKEN)
    server.setdefault("colorize_page", True)
    upload_limits = {key: options.pop(key) for key in ("max_upload_bytes", "max_pixels",
                                                       "workers", "queue") if key in options}
    if upload_limits:
        server["uploads"] = colorize_api.UploadLimits(**upload_limits)
    config, db, pool = prepare(database, **options)
    if colorize_fn is True:
        colorize_fn = runs.colorize_with(fake_colorizers(config.runs))
    rng = random.Random(seed) if seed is not None else None
    return app_lib.create_app(config, db, pool, app_lib.ServerOptions(**server),
                              colorize_fn, rng=rng), db
