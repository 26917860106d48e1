"""The edges of batched colorize's promises, each found by mutation testing
(``python tools/mutation.py inference/batch.py``): the encoder's settings and ranges,
failures reported with their file and reason, a batch of nothing but bad files, bounds
met exactly (batch budget, lookahead, byte budget), the threads each pool may use, and
the per-stage seconds a caller asks for."""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time

import numpy as np
import pytest
import skimage.data
import support
from PIL import Image

from colorization_tf.inference import batch

PHOTO = np.ascontiguousarray(skimage.data.astronaut()[:24, :24])


def _jobs(tmp_path, count: int, bad: tuple[int, ...] = ()) -> list[tuple[str, str]]:
    """``count`` 24x24 photos (those at ``bad`` are text files named .png)."""
    jobs = []
    for i in range(count):
        source = tmp_path / f"in{i}.png"
        if i in bad:
            source.write_text("not an image")
        else:
            Image.fromarray(PHOTO).save(source)
        jobs.append((str(source), str(tmp_path / f"out{i}.png")))
    return jobs


def _slow_reads(monkeypatch, seconds: float, threads: set | None = None) -> None:
    """Each photo's read takes ``seconds`` more (and adds its thread to ``threads``)."""
    read = batch.read_codes

    def slow_read(path):
        if threads is not None:
            threads.add(threading.get_ident())
        time.sleep(seconds)
        return read(path)

    monkeypatch.setattr(batch, "read_codes", slow_read)


def _run(jobs, **kwargs) -> tuple[list, list]:
    done, failed = [], []
    batch.colorize_files(kwargs.pop("predictor", support.ColourlessPredictor()), jobs,
                         kwargs.pop("encoder", batch.Encoder("png")),
                         on_done=lambda src, out: done.append((src, out)),
                         on_failed=lambda src, reason: failed.append((src, reason)), **kwargs)
    return done, failed


# ------------------------------------------------------------------------------ encoder


@pytest.mark.parametrize("settings", [{"quality": 1}, {"quality": 100},
                                      {"compress_level": 0}, {"compress_level": 9}])
def test_the_encoders_ranges_include_their_ends(settings):
    batch.Encoder("jpg", **settings)


@pytest.mark.parametrize("settings, message", [
    ({"format": "bmp"}, "--format must be one of png, jpg, webp, got 'bmp'"),
    ({"quality": 0}, "--quality must be in 1..100, got 0"),
    ({"quality": 101}, "--quality must be in 1..100, got 101"),
    ({"compress_level": -1}, "PNG compress_level must be in 0..9, got -1"),
    ({"compress_level": 10}, "PNG compress_level must be in 0..9, got 10")])
def test_the_encoder_names_a_setting_out_of_range(settings, message):
    with pytest.raises(ValueError) as raised:
        batch.Encoder(**{"format": "png", **settings})
    assert str(raised.value) == message


def test_the_encoder_applies_its_quality_and_compression(tmp_path):
    """JPEG and WebP take the quality, PNG the compression level (each changes the file:
    lower quality is smaller, level 0 is larger than 9), and the format is the encoder's
    whatever the output's name says."""
    photo = np.ascontiguousarray(skimage.data.astronaut()[:128, :128])
    sizes = {}
    for fmt, settings in [("jpg", {"quality": 10}), ("jpg", {"quality": 95}),
                          ("webp", {"quality": 10}), ("webp", {"quality": 95}),
                          ("png", {"compress_level": 0}), ("png", {"compress_level": 9})]:
        path = tmp_path / f"{fmt}-{next(iter(settings.values()))}.bin"
        batch.Encoder(fmt, **settings).save(photo, str(path))
        with Image.open(path) as image:
            assert image.format == batch.FORMATS[fmt][0]
        sizes[fmt, next(iter(settings.values()))] = path.stat().st_size
    assert sizes["jpg", 10] < sizes["jpg", 95] / 2 and sizes["webp", 10] < sizes["webp", 95] / 2
    assert sizes["png", 0] > 1.5 * sizes["png", 9]


@pytest.mark.parametrize("array", [np.zeros((8, 8, 3), np.float32),
                                   np.zeros((8, 8, 3), np.uint16), np.zeros((8, 8), np.uint8),
                                   np.zeros((2, 8, 8, 3), np.uint8)])
def test_the_encoder_refuses_anything_but_uint8_rgb_or_rgbx(array, tmp_path):
    with pytest.raises(ValueError, match=r"^expected uint8 RGB \[H,W,3\] or RGBX \[H,W,4\], got "):
        batch.Encoder("png").save(array, str(tmp_path / "out.png"))
    assert not os.listdir(tmp_path)


# ------------------------------------------------------------------- failures and batches


def test_failures_reach_on_failed_with_their_file_and_reason(tmp_path):
    """An unreadable input and an unwritable output each give ``on_failed(input, reason)``;
    the other photos are written."""
    jobs = _jobs(tmp_path, 4, bad=(1,))
    (tmp_path / "file").write_text("a file, not a folder")
    jobs[2] = (jobs[2][0], str(tmp_path / "file" / "out2.png"))
    done, failed = _run(jobs, batch_size=2, workers=2)
    assert sorted(done) == sorted([jobs[0], jobs[3]])
    assert sorted(src for src, _ in failed) == [jobs[1][0], jobs[2][0]]
    reasons = dict(failed)
    assert reasons[jobs[1][0]] == "not an image (Pillow cannot identify its format)"
    assert reasons[jobs[2][0]].startswith(f"cannot write {jobs[2][1]}: ")


def test_a_batch_of_nothing_but_bad_files_does_not_stop_the_rest(tmp_path):
    jobs = _jobs(tmp_path, 7, bad=(0, 1, 4))
    done, failed = _run(jobs, batch_size=2, workers=2)
    assert sorted(done) == sorted(jobs[i] for i in (2, 3, 5, 6))
    assert sorted(src for src, _ in failed) == sorted(jobs[i][0] for i in (0, 1, 4))


def test_a_predictor_that_loses_a_photo_is_an_error_not_a_missing_output(tmp_path):
    with pytest.raises(ValueError, match="zip"):
        _run(_jobs(tmp_path, 3), predictor=support.ColourlessPredictor(drop=1), batch_size=4,
             workers=2)


def test_the_batch_size_and_byte_budget_ranges_include_their_ends(tmp_path):
    _run([], batch_size=batch.MAX_BATCH_SIZE)
    done, _ = _run(_jobs(tmp_path, 3), max_bytes=1, workers=2)  # every photo alone
    assert len(done) == 3
    with pytest.raises(ValueError) as raised:
        _run([], batch_size=batch.MAX_BATCH_SIZE + 1)
    assert str(raised.value) == (f"--batch_size={batch.MAX_BATCH_SIZE + 1}: expected "
                                 f"1..{batch.MAX_BATCH_SIZE} (photos held at full resolution "
                                 "at once)")
    with pytest.raises(ValueError) as raised:
        _run([], max_bytes=0)
    assert str(raised.value) == ("max_bytes=0: expected a positive number of bytes (the "
                                 "decoded photos held at once)")


@pytest.mark.parametrize("size, budget", [(3, 3), (10, 3)])
def test_a_batch_holds_exactly_its_budget(size, budget):
    """Weights of 1 under a budget of 3: batches of 3, whichever of size and budget binds
    (a batch may reach its budget, not only approach it)."""
    batches = list(batch._batches(iter([support.ready(i) for i in range(7)]), size, budget=budget,
                                  weight=lambda item: 1))
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]


def test_the_budget_starts_afresh_after_a_batch_is_cut_early():
    futures = [support.ready(0), support.StillDecoding(1)] + [support.ready(i) for i in range(2, 7)]
    batches = list(batch._batches(iter(futures), 10, budget=3, weight=lambda item: 1))
    assert batches == [[0], [1, 2, 3], [4, 5, 6]]


def test_a_file_that_failed_weighs_nothing_in_a_batch():
    codes = np.zeros((4, 4, 3), np.uint8)
    items = [(0, codes, None, ""), (1, None, None, "bad"), (2, codes, None, "")]
    batches = list(batch._batches(iter(support.ready(item) for item in items), 8,
                                  budget=2 * codes.nbytes, weight=batch._decoded_bytes))
    assert [[item[0] for item in one] for one in batches] == [[0, 1, 2]]


def _ahead_at_first_photo(monkeypatch, lookahead: int, budget: int, photo_bytes: int) -> int:
    """Photos submitted for decoding when the consumer is handed the first one."""
    monkeypatch.setattr(batch, "codes_bytes", lambda path: photo_bytes)
    monkeypatch.setattr(batch, "read_codes", lambda path: np.zeros((4, 4, 3), np.uint8))
    loads = []
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        submit = pool.submit

        def counted(fn, *args):
            if fn.__name__ == "load":
                loads.append(args)
            return submit(fn, *args)

        pool.submit = counted
        decoded = batch._decoded([f"p{i}" for i in range(20)], 8, pool, lookahead, budget,
                                 batch.StageTimes())
        next(decoded)
        submitted = len(loads)
        list(decoded)
    return submitted


def test_decoding_runs_exactly_the_lookahead_ahead(monkeypatch):
    assert _ahead_at_first_photo(monkeypatch, 3, 10**9, 100) == 1 + 3


def test_decoding_ahead_fills_the_byte_budget_exactly(monkeypatch):
    assert _ahead_at_first_photo(monkeypatch, 10, 300, 100) == 3


# ------------------------------------------------------------------ threads and timing


@pytest.mark.parametrize("cpus, workers, threads", [(16, None, 4), (None, None, 2),
                                                     (16, 2, 2)])
def test_each_pool_uses_at_most_its_workers(tmp_path, monkeypatch, cpus, workers, threads):
    """``workers`` threads decode and as many finish (default: the cores, at most 4; 2
    where the core count is unknown). Slow reads make the decoding pool use them all."""
    decoding, finishing = set(), set()
    _slow_reads(monkeypatch, 0.01, decoding)

    class Recording(batch.Encoder):
        def save(self, rgb, path):
            finishing.add(threading.get_ident())
            time.sleep(0.01)
            super().save(rgb, path)

    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    done, _ = _run(_jobs(tmp_path, 24), encoder=Recording("png"), batch_size=8,
                   workers=workers)
    assert len(done) == 24
    assert len(decoding) == threads and 1 <= len(finishing) <= threads


def test_stage_times_are_the_seconds_each_stage_took(tmp_path, monkeypatch):
    """The caller's ``StageTimes`` gets each stage's seconds: at least the sleeps put in
    each (reads of 10 ms, model calls of 50 ms) and, summed over a pool's threads, at
    most the run's wall time per thread."""
    _slow_reads(monkeypatch, 0.01)
    times, predictor = batch.StageTimes(), support.ColourlessPredictor(delay=0.05)
    start = time.perf_counter()
    done, _ = _run(_jobs(tmp_path, 12), predictor=predictor, batch_size=4, workers=2,
                   times=times)
    wall = time.perf_counter() - start
    figures = times.as_dict()
    assert len(done) == 12 and set(figures) == {"decode", "model_input", "model",
                                                "recombine", "encode"}
    assert 12 * 0.01 <= figures["decode"] <= 2 * wall
    assert predictor.calls * 0.05 <= figures["model"] <= wall
    for stage in ("model_input", "recombine", "encode"):  # unrounded: a few tenths of a ms
        assert 0 < getattr(times, stage) <= 2 * wall, stage


def test_stage_times_are_given_to_the_millisecond():
    times = batch.StageTimes(decode=1.23449, encode=0.0004)
    assert times.as_dict() == {"decode": 1.234, "model_input": 0.0, "model": 0.0,
                               "recombine": 0.0, "encode": 0.0}
