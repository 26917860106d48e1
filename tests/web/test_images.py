"""The image pool: computed once, cached beside the database, reused on restart, opaque
ids, and attention checks that look obviously wrong."""

from __future__ import annotations

import io

import fake_study
import numpy as np
import pytest
from PIL import Image

from colorization_tf.web import images, storage


def _never(_rgb):
    raise AssertionError("a cached image was computed again")


def test_pool_is_computed_once_and_reused_on_restart(tmp_path):
    database = tmp_path / "study.sqlite"
    calls = {"originals": 0}

    def originals():
        calls["originals"] += 1
        return fake_study.fake_originals(5)

    with storage.Storage(database) as db:
        pool = images.build_pool(db, images.cache_dir_for(database), "fake", 5,
                                 fake_study.fake_colorizers(), originals, log=lambda _: None)
    cache = tmp_path / "study.sqlite.images"
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 5 * 4 and calls["originals"] == 1
    assert all(images.IMAGE_ID.fullmatch(name[:-4]) for name in files)

    with storage.Storage(database) as db:  # restart: nothing is computed
        again = images.build_pool(db, images.cache_dir_for(database), "fake", 5,
                                  {"run_a": _never, "run_b": _never}, originals,
                                  log=lambda _: None)
    assert calls["originals"] == 1
    for index in range(5):
        for kind, run in [("original", ""), ("attention", ""), ("colorized", "run_a")]:
            assert again.image_id(index, kind, run) == pool.image_id(index, kind, run)
    png = again.read_png(pool.image_id(2, "original"))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))),
                          fake_study.fake_originals(5)[2])


def test_a_new_run_or_a_lost_file_computes_only_what_is_missing(tmp_path):
    database = tmp_path / "study.sqlite"
    with storage.Storage(database) as db:
        pool = images.build_pool(db, images.cache_dir_for(database), "fake", 3,
                                 {"run_a": fake_study.hue_shift},
                                 lambda: fake_study.fake_originals(3), log=lambda _: None)
        lost = pool.image_id(1, "colorized", "run_a")
        (images.cache_dir_for(database) / f"{lost}.png").unlink()
        computed = []

        def run_b(rgb):
            computed.append("b")
            return fake_study.hue_shift_back(rgb)

        def run_a(rgb):
            computed.append("a")
            return fake_study.hue_shift(rgb)

        again = images.build_pool(db, images.cache_dir_for(database), "fake", 3,
                                  {"run_a": run_a, "run_b": run_b},
                                  lambda: fake_study.fake_originals(3), log=lambda _: None)
    assert sorted(computed) == ["a", "b", "b", "b"]
    assert again.image_id(1, "colorized", "run_a") == lost  # same id, file rewritten
    assert again.read_png(lost) is not None


def test_ids_are_opaque_and_unknown_ids_give_nothing(tmp_path):
    _, db, pool = fake_study.prepare(tmp_path / "s.sqlite", count=3)
    with db:
        ids = [pool.image_id(i, k, r) for i in range(3)
               for k, r in [("original", ""), ("attention", ""), ("colorized", "run_a"),
                            ("colorized", "run_b")]]
        assert len(set(ids)) == len(ids)
        assert all(images.IMAGE_ID.fullmatch(i) for i in ids)
        for bad in ["../study.sqlite", "0" * 32, ids[0].upper(), ids[0] + "x", "", None]:
            assert pool.read_png(bad) is None


def test_too_few_originals_or_a_bad_colorizer_is_a_clear_error(tmp_path):
    with storage.Storage(tmp_path / "s.sqlite") as db:
        with pytest.raises(ValueError, match="--images=9"):
            images.build_pool(db, tmp_path / "c", "fake", 9, fake_study.fake_colorizers(),
                              fake_study.fake_originals(4), log=lambda _: None)
        with pytest.raises(ValueError, match="same shape"):
            images.build_pool(db, tmp_path / "c", "fake2", 1,
                              {"bad": lambda rgb: np.zeros((2, 2, 3), np.uint8)},
                              fake_study.fake_originals(1), log=lambda _: None)


def test_random_hue_is_an_obviously_wrong_colouring():
    original = fake_study.fake_originals(1, size=64)[0]
    recoloured = images.random_hue(original, np.random.default_rng(0))
    assert recoloured.shape == original.shape and recoloured.dtype == np.uint8
    turn = np.abs(_hue(recoloured) - _hue(original))
    turn = np.minimum(turn, 256 - turn)
    assert np.median(turn) > 50  # at least ~70 degrees away from the true hue


def _hue(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("HSV"))[..., 0].astype(int)


def test_a_failed_cache_write_leaves_no_file(tmp_path, monkeypatch):
    """The cache writes through ``files.atomic_path``: a crash mid-write leaves neither a
    half PNG under the final name nor a temporary file."""
    real_save = Image.Image.save

    def failing_save(self, fp, format=None, **params):
        real_save(self, fp, format=format, **params)
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        images._write_png(tmp_path / "a.png", fake_study.fake_originals(1)[0])
    assert list(tmp_path.iterdir()) == []
