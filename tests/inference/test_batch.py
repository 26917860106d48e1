"""Batched colorize (photos and videos through ``colorize_paths`` and the CLI): one output
per input in the chosen format, corrupt files reported and skipped, existing outputs kept
unless --overwrite, each photo of a multi-photo batch given the colours it gets alone
(never a neighbour's), --render_size honoured, a clip round-tripped with frame count, size
and rate, how batches are cut while photos are still decoding, the bound on photos in memory,
and the per-stage seconds summed from the stages' threads."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time

import imageio_ffmpeg
import numpy as np
import pytest
import skimage.color
import skimage.data
import support
from PIL import Image
from support import tiny_config

from colorization_tf import training
from colorization_tf.inference import batch, loading, photos, video
from colorization_tf.training import precision

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("run"))
    training.train(tiny_config(), path, verbose=0)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    """Five photos of different sizes (one in a sub-folder), a corrupt JPEG, a clip with
    audio and a text file named like a video."""
    root = tmp_path_factory.mktemp("inputs")
    (root / "sub").mkdir()
    astronaut = skimage.data.astronaut()
    for index, (height, width) in enumerate([(40, 50), (33, 61), (64, 64), (21, 90)]):
        Image.fromarray(astronaut[:height, :width]).save(root / f"p{index}.jpg", quality=95)
    Image.fromarray(astronaut[100:150, 80:140]).save(root / "sub" / "deep.png")
    (root / "bad.jpg").write_bytes((root / "p0.jpg").read_bytes()[:200])
    (root / "fake.mp4").write_text("not a video\n")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi",
                    "-i", "testsrc=size=96x64:rate=12", "-f", "lavfi", "-i",
                    "sine=frequency=440", "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-shortest", str(root / "clip.mp4")], check=True)
    return str(root)


@pytest.fixture(scope="module")
def same_size(tmp_path_factory) -> list[str]:
    """Four 48 x 48 photos of different scenes (same size, so a mix-up of colours between
    them could go unnoticed by shape)."""
    root = tmp_path_factory.mktemp("same_size")
    scenes = [skimage.data.astronaut()[:192:4, :192:4], skimage.data.coffee()[:192:4, :192:4],
              skimage.data.chelsea()[:192:4, 100:292:4], skimage.data.rocket()[200:392:4, :192:4]]
    paths = []
    for index, scene in enumerate(scenes):
        paths.append(str(root / f"s{index}.png"))
        Image.fromarray(np.ascontiguousarray(scene)).save(paths[-1])
    return paths


def _ab(path: str) -> np.ndarray:
    """a*, b* of a written photo (scikit-image's Lab: the independent reference)."""
    with Image.open(path) as image:
        return skimage.color.rgb2lab(np.asarray(image.convert("RGB")) / 255.0)[..., 1:]


def _written(out: str) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out)
                  for f in fs)


def test_folder_writes_one_file_per_input_and_skips_corrupt_ones(run_dir, folder, tmp_path):
    out = str(tmp_path / "out")
    summary = photos.colorize_paths(run_dir, [folder], out, batch_size=3,
                                    encoder=batch.Encoder("jpg", quality=90),
                                    log=lambda _: None)
    assert sorted(os.path.basename(path) for path, _ in summary.failed) == ["bad.jpg",
                                                                          "fake.mp4"]
    assert _written(out) == ["clip.mp4", "p0.jpg", "p1.jpg", "p2.jpg", "p3.jpg",
                             "sub/deep.jpg"]
    with Image.open(os.path.join(out, "p1.jpg")) as image:
        assert image.format == "JPEG" and image.size == (61, 33)
    info, source = video.probe(os.path.join(out, "clip.mp4")), video.probe(
        os.path.join(folder, "clip.mp4"))
    assert (info.width, info.height, info.frames, info.has_audio) == (96, 64, 12, True)
    assert info.frames == source.frames and abs(info.fps - source.fps) < 1e-6


def test_existing_outputs_are_kept_unless_overwrite(run_dir, folder, tmp_path):
    out = tmp_path / "out"
    photo = os.path.join(folder, "p2.jpg")
    photos.colorize_paths(run_dir, [photo], str(out), log=lambda _: None)
    (out / "p2.png").write_bytes(b"marker")
    kept = photos.colorize_paths(run_dir, [photo], str(out), log=lambda _: None)
    assert kept.written == [] and len(kept.skipped) == 1 and "1 skipped" in kept.line()
    assert (out / "p2.png").read_bytes() == b"marker"
    replaced = photos.colorize_paths(run_dir, [photo], str(out), overwrite=True,
                                     log=lambda _: None)
    assert len(replaced.written) == 1
    assert Image.open(out / "p2.png").size == (64, 64)


# Batched and single-photo runs of the network may differ in float rounding only: at most
# one uint8 level per channel, a few hundredths of a Lab unit on average.
SAME_COLOURS_AB = 0.05


def test_each_photo_of_a_batch_gets_its_own_colours(run_dir, same_size, tmp_path):
    """Four photos in one batch get the colours each gets alone (batch of one); giving
    photo j's colours to photo i is far outside the tolerance (checked for every pair, so
    the comparison can tell a mix-up from rounding)."""
    together = photos.colorize_paths(run_dir, same_size, str(tmp_path / "together"),
                                     batch_size=4, log=lambda _: None)
    assert len(together.written) == 4
    batched = {os.path.basename(source): _ab(out) for source, out in together.written}
    alone = {}
    for path in same_size:
        single = photos.colorize_paths(run_dir, [path], str(tmp_path / "alone"), batch_size=1,
                                       log=lambda _: None)
        alone[os.path.basename(path)] = _ab(single.written[0][1])
    names = sorted(alone)
    assert sorted(batched) == names
    for name in names:
        assert np.abs(batched[name] - alone[name]).mean() <= SAME_COLOURS_AB, name
        for other in names:
            if other != name:
                swapped = np.abs(batched[name] - alone[other]).mean()
                assert swapped > 10 * SAME_COLOURS_AB, (name, other, swapped)


def test_render_size_is_what_the_network_sees(run_dir, folder, tmp_path):
    """The photo written at --render_size=16 has the colours of the predictor run at 16 px
    (and not those at 64 px, which differ by far more than rounding)."""
    photo = os.path.join(folder, "p2.jpg")
    small = photos.colorize_paths(run_dir, [photo], str(tmp_path / "a"), render_size=16,
                                  log=lambda _: None)
    with Image.open(photo) as image:
        rgb = np.asarray(image.convert("RGB"))
    # colorize_paths computes in the precision native here (precision.wanted(None))
    predictor = loading.load_run(run_dir, mixed_precision=precision.wanted(None))
    want = {size: skimage.color.rgb2lab(predictor.colorize_rgb(rgb, size) / 255.0)[..., 1:]
            for size in (16, 64)}
    got = _ab(small.written[0][1])
    assert got.shape == (64, 64, 2)
    assert np.abs(got - want[16]).mean() <= SAME_COLOURS_AB
    assert np.abs(got - want[64]).mean() > 10 * SAME_COLOURS_AB


@pytest.mark.slow
def test_cli_names_bad_files_in_one_line_each_and_exits_non_zero(run_dir, folder, tmp_path):
    out = tmp_path / "cli"
    done = subprocess.run([sys.executable, "-m", "colorization_tf.colorize",
                           f"--run_dir={run_dir}", f"--output_dir={out}", "--format=webp",
                           "--temporal_smoothing=0.5", os.path.join(folder, "p0.jpg"),
                           os.path.join(folder, "fake.mp4")],
                          capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 1
    assert f"{os.path.join(folder, 'fake.mp4')}: not a readable video" in done.stderr
    assert "Traceback" not in done.stderr
    assert "1 colorized, 1 failed" in done.stdout
    assert _written(str(out)) == ["p0.webp"]




@pytest.mark.parametrize("fmt", ["jpg", "png", "webp"])
def test_an_rgbx_array_encodes_to_the_same_file_as_its_rgb(fmt, tmp_path):
    """The encoder takes RGBX (Pillow's layout, no copy) as well as RGB: the same bytes
    on disk in every format, and a clear error for any other array."""
    rgb = np.ascontiguousarray(skimage.data.astronaut()[:70, :90])
    rgbx = np.concatenate([rgb, np.full((70, 90, 1), 7, np.uint8)], axis=-1)  # not 255:
    encoder = batch.Encoder(fmt)  # the fourth byte must be ignored, whatever it holds
    encoder.save(rgb, str(tmp_path / f"rgb.{fmt}"))
    encoder.save(rgbx, str(tmp_path / f"rgbx.{fmt}"))
    assert (tmp_path / f"rgb.{fmt}").read_bytes() == (tmp_path / f"rgbx.{fmt}").read_bytes()
    with Image.open(tmp_path / f"rgbx.{fmt}") as image:
        assert image.mode == "RGB" and image.size == (90, 70)
    with pytest.raises(ValueError, match=r"expected uint8 RGB \[H,W,3\] or RGBX"):
        encoder.save(rgb[..., :2].copy(), str(tmp_path / f"bad.{fmt}"))
    assert not (tmp_path / f"bad.{fmt}").exists()


def test_a_batch_is_cut_when_the_next_photo_is_still_decoding():
    """Photos 0-1 decoded, photo 2 still decoding, 3-6 decoded: at size 3 the batches are
    [0, 1], [2, 3, 4], [5, 6] while the recombining threads starve (every photo once, in
    order), and full batches while they have work."""
    def futures():
        return iter([support.ready(0), support.ready(1), support.StillDecoding(2)]
                    + [support.ready(i) for i in range(3, 7)])

    assert list(batch._batches(futures(), 3)) == [[0, 1], [2, 3, 4], [5, 6]]
    busy = list(batch._batches(futures(), 3, starving=lambda: False))
    assert busy == [[0, 1, 2], [3, 4, 5], [6]]


def test_full_batches_when_every_photo_is_ready():
    batches = list(batch._batches(iter([support.ready(i) for i in range(7)]), 3))
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]


def test_stage_times_lose_no_sum_when_threads_add_at_once():
    # the pipeline's threads add to the same stages; switching threads every microsecond
    # makes a read-modify-write without the lock lose sums in most rounds
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(5):
            times = batch.StageTimes()

            def add(times: batch.StageTimes, stage: str) -> None:
                for _ in range(5000):
                    times.add(stage, 1.0)

            threads = [threading.Thread(target=add, args=(times, stage))
                       for stage in ("decode", "decode", "encode", "encode")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert times.as_dict() == {"decode": 10000.0, "model_input": 0.0, "model": 0.0,
                                       "recombine": 0.0, "encode": 10000.0}
    finally:
        sys.setswitchinterval(previous)


class _Alive:
    """Photos alive (or their bytes): decoded and not yet written; the most at once."""

    def __init__(self):
        self.lock, self.now, self.most = threading.Lock(), 0, 0

    def enter(self, amount: int = 1):
        with self.lock:
            self.now += amount
            self.most = max(self.most, self.now)

    def leave(self, amount: int = 1):
        with self.lock:
            self.now -= amount


@dataclasses.dataclass(frozen=True)
class _CountingEncoder(batch.Encoder):
    """Writes slowly, so that a pipeline without a bound would pile decoded photos up,
    and counts each written photo out of ``alive`` (by its ``weights`` entry, else 1)."""

    alive: _Alive | None = None
    weights: dict | None = None

    def save(self, rgb, path):
        time.sleep(0.004)
        super().save(rgb, path)
        self.alive.leave(self.weights[path] if self.weights else 1)


@pytest.mark.parametrize("count", [40, 120])
def test_photos_in_memory_stay_within_the_stated_bound(tmp_path, monkeypatch, count):
    """At most 3 * batch_size + 2 * workers photos are decoded and not yet written, for 40
    photos as for 120 (memory flat in the number of photos)."""
    alive = _Alive()
    source = tmp_path / "in.png"
    Image.fromarray(skimage.data.astronaut()[:24, :24]).save(source)
    read = batch.read_codes

    def counted_read(path):
        codes = read(path)
        alive.enter()
        return codes

    monkeypatch.setattr(batch, "read_codes", counted_read)
    jobs = [(str(source), str(tmp_path / f"out{i}.png")) for i in range(count)]
    done = []
    batch.colorize_files(support.ColourlessPredictor(), jobs, _CountingEncoder("png", alive=alive),
                         batch_size=4, workers=2, on_done=lambda src, out: done.append(out))
    assert len(done) == count and alive.now == 0
    assert 4 <= alive.most <= 3 * 4 + 2 * 2


def _bytes_alive(tmp_path, monkeypatch, max_bytes: int, sides: list[int]) -> tuple[int, int]:
    """Square photos of ``sides`` (side * side * 3 bytes of codes each) through a slow
    encoder at batch size 8: the most bytes of codes decoded and not yet written at once,
    and the photos written."""
    alive, weights, jobs = _Alive(), {}, []
    tmp_path.mkdir(exist_ok=True)
    for i, side in enumerate(sides):
        source = tmp_path / f"in{i}.png"
        Image.fromarray(np.ascontiguousarray(skimage.data.astronaut()[:side, :side])).save(source)
        jobs.append((str(source), str(tmp_path / f"out{i}.png")))
        weights[jobs[-1][1]] = side * side * 3
    read = batch.read_codes

    def counted_read(path):
        codes = read(path)
        alive.enter(codes.nbytes)
        return codes

    monkeypatch.setattr(batch, "read_codes", counted_read)
    done = []
    batch.colorize_files(support.ColourlessPredictor(), jobs,
                         _CountingEncoder("png", alive=alive, weights=weights), batch_size=8,
                         workers=2, max_bytes=max_bytes,
                         on_done=lambda src, out: done.append(out))
    assert alive.now == 0
    return alive.most, len(done)


def test_codes_in_memory_stay_within_the_byte_budget(tmp_path, monkeypatch):
    """40 photos of 1728 bytes under a budget of 12 of them (4 a stage): the codes held
    stay within it plus one photo, where the photo counts alone (3 * 8 + 2 * 2 photos)
    let them grow past that on the same photos; every photo is written either way."""
    photo = 24 * 24 * 3
    budget = 12 * photo
    bounded, written = _bytes_alive(tmp_path / "bounded", monkeypatch, budget, [24] * 40)
    assert written == 40 and bounded <= budget + photo
    free, written = _bytes_alive(tmp_path / "free", monkeypatch, batch.DEFAULT_MAX_BYTES,
                                 [24] * 40)
    assert written == 40 and free > budget + photo


def test_headers_are_read_once_each_off_the_calling_thread(tmp_path, monkeypatch):
    """Each file's header is read once, in the decoding threads, never in the thread that
    calls the network (on slow storage that thread would wait for every file in turn)."""
    threads = []
    probe = batch.codes_bytes

    def recorded(path):
        threads.append((path, threading.current_thread() is threading.main_thread()))
        return probe(path)

    monkeypatch.setattr(batch, "codes_bytes", recorded)
    jobs = []
    for i in range(25):
        Image.fromarray(skimage.data.astronaut()[:24, :24]).save(tmp_path / f"in{i}.png")
        jobs.append((str(tmp_path / f"in{i}.png"), str(tmp_path / f"out{i}.png")))
    batch.colorize_files(support.ColourlessPredictor(), jobs, batch.Encoder("png"), batch_size=4,
                         workers=2)
    assert sorted(path for path, _ in threads) == sorted(src for src, _ in jobs)
    assert not any(on_main for _, on_main in threads)


def test_a_budget_of_no_bytes_is_refused():
    with pytest.raises(ValueError, match=r"^max_bytes=0: expected a positive number"):
        batch.colorize_files(support.ColourlessPredictor(), [], batch.Encoder("png"), max_bytes=0)


def test_a_photo_larger_than_the_budget_still_goes_through(tmp_path, monkeypatch):
    """Photos of 6912 and 1728 bytes under a budget whose third (1728) is below the large
    one: each large photo passes alone through each stage (no stage waits for room that
    never comes), and at most one per stage is held, plus one."""
    most, written = _bytes_alive(tmp_path, monkeypatch, 3 * 1728, [48, 24] * 15)
    assert written == 30 and most <= 4 * 6912


class _RecordingPredictor(support.ColourlessPredictor):
    def __init__(self):
        super().__init__()
        self.sizes = []

    def predict(self, lightness):
        self.sizes.append(int(np.shape(lightness)[0]))
        return super().predict(lightness)


@pytest.mark.parametrize("cpus, cut", [(2, False), (16, True)])
def test_batches_are_cut_early_only_where_cores_would_idle(tmp_path, monkeypatch, cpus, cut):
    """Photos 1 and 10 decode slowly, photo 1 while nothing is recombining yet. With 2
    decoding threads on 2 cores the decoders keep every core busy, so the model waits for
    full batches (each call has a fixed cost); on 16 cores the recombining threads would
    starve with cores to spare, so the first batch is cut at photo 0 (and at photo 10 the
    rule is asked again while photos are recombining)."""
    jobs = []
    for i in range(12):
        Image.fromarray(skimage.data.astronaut()[:24, :24]).save(tmp_path / f"in{i}.png")
        jobs.append((str(tmp_path / f"in{i}.png"), str(tmp_path / f"out{i}.png")))
    read = batch.read_codes

    def read_photo(path):
        if path in (jobs[1][0], jobs[10][0]):
            time.sleep(0.3)
        return read(path)

    monkeypatch.setattr(batch, "read_codes", read_photo)
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    predictor = _RecordingPredictor()
    batch.colorize_files(predictor, jobs, batch.Encoder("png"), batch_size=4, workers=2)
    assert sum(predictor.sizes) == len(jobs)
    assert (predictor.sizes[0] == 1 if cut else predictor.sizes == [4, 4, 4]), predictor.sizes
