"""Learned hints (Zhang et al. 2017): both presets train compiled on simulated hints, a
unet_hints run resumes exactly, the Predictor takes hints (none == zeros maps; a briefly
trained run moves the colour at a hint *toward* the hint's colour, which an untrained
one does not), and the export's ``colorize_with_hints`` signature works with plain
TensorFlow."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from hint_runs import TOWARD, toward, trained_hint_run
from support import build, tiny_config
from tflite_run import run_tflite

from colorization_tf import color, training
from colorization_tf.colorizers.hints import GlobalHintColorizer, HintColorizer
from colorization_tf.data import hints, make_dataset
from colorization_tf.inference import Predictor, load_run
from colorization_tf.inference import serving as export
from colorization_tf.inference.hints import hex_to_ab, parse_hints, rasterize
from colorization_tf.inference.reference_hint import reference_global_hint
from colorization_tf.inference.user_images import ImageReadError
from colorization_tf.training import RunDir

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


@pytest.mark.compiled
@pytest.mark.parametrize("preset", ["unet_hints",
                                    pytest.param("unet_hints_global", marks=pytest.mark.slow)])
def test_one_compiled_train_step_per_hint_preset(preset):
    config = tiny_config(preset, jit_compile=preset.endswith("global"))  # XLA for one
    colorizer = build(config)
    colorizer.build_all(32)
    batch = next(iter(make_dataset(config.data, "train", 8, training=True)))
    wanted = {"hint_ab", "hint_mask"} | ({"hint_global"} if preset.endswith("global") else set())
    assert set(colorizer.FEATURES) == wanted and wanted <= set(batch)
    first_conv = colorizer.generator.down[0].layers[0]
    assert first_conv.kernel.shape[2] == 4  # L, hint_ab, hint_mask
    if preset.endswith("global"):
        assert isinstance(colorizer, GlobalHintColorizer)
        assert colorizer.generator.global_branch.layers[0].kernel.shape[0] == \
            hints.global_hint_size()
    before = [w.copy() for w in colorizer.generator.get_weights()]
    history = colorizer.fit(tf.data.Dataset.from_tensors(batch).repeat(), epochs=1,
                            steps_per_epoch=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and history.history["loss"][0] > 0
    changed = [not np.array_equal(a, b) for a, b in
               zip(before, colorizer.generator.get_weights(), strict=True)]
    assert all(changed[:1]) and sum(changed) > len(changed) // 2


def test_the_loss_reads_the_hints():
    config = tiny_config("unet_hints")
    colorizer = build(config)
    colorizer.build_all(32)
    batch = next(iter(make_dataset(config.data, "val", 8)))
    with_hints = float(colorizer.test_step(batch)["loss"])
    colorizer.loss_tracker.reset_state()
    colorizer.mae_tracker.reset_state()
    without = {k: v for k, v in batch.items() if not k.startswith("hint")}
    assert with_hints != float(colorizer.test_step(without)["loss"])


@pytest.mark.compiled
@pytest.mark.slow
def test_unet_hints_resumes_exactly(tmp_path):
    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise KeyboardInterrupt

    config = tiny_config("unet_hints", epochs=3, steps_per_epoch=1)
    training.train(config, str(tmp_path / "straight"), verbose=0)
    with pytest.raises(KeyboardInterrupt):
        training.train(config, str(tmp_path / "resumed"), verbose=0,
                       callbacks=[StopAfterFirstEpoch()])
    assert RunDir(str(tmp_path / "resumed")).resume_epoch() == 1
    training.train(config, str(tmp_path / "resumed"), verbose=0)
    straight = load_run(str(tmp_path / "straight")).colorizer.generator.get_weights()
    resumed = load_run(str(tmp_path / "resumed")).colorizer.generator.get_weights()
    for a, b in zip(straight, resumed, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.compiled
@pytest.mark.slow
def test_global_preset_trains_mirrored_and_in_mixed_precision(tmp_path):
    assert len(tf.config.list_logical_devices("CPU")) == 2
    config = tiny_config("unet_hints_global", steps_per_epoch=2, eval_examples=8,
                         strategy="mirrored", mixed_precision=True,
                         force_mixed_precision=True)  # bfloat16 on any CPU
    trained = training.train(config, str(tmp_path), verbose=0)
    assert trained.generator.global_branch.layers[0].compute_dtype == "bfloat16"
    history = np.genfromtxt(RunDir(str(tmp_path)).history, delimiter=",", names=True)
    assert all(np.isfinite(float(history[name])) for name in history.dtype.names)
    predictor = load_run(str(tmp_path))
    ab = predictor.predict(tf.zeros([1, 32, 32, 1]), hint_global=tf.ones([231]) / 231)
    assert bool(tf.reduce_all(tf.math.is_finite(ab)))


@pytest.fixture(scope="module")
def hint_run(tmp_path_factory) -> str:
    """A unet_hints run trained briefly, so it has learned to follow a hint's colour
    (``hint_runs``)."""
    return trained_hint_run(str(tmp_path_factory.mktemp("hints") / "unet_hints"))


# three hint colours (scaled ab) in different directions
HINT_COLOURS = ([0.45, -0.35], [-0.3, 0.4], [0.3, 0.3])


def _pulls(predictor, lightness) -> list[float]:
    """``toward`` at a 5x5 hinted patch for each of ``HINT_COLOURS``."""
    plain = predictor.predict(lightness).numpy()
    ratios = []
    for colour in HINT_COLOURS:
        hint_ab, hint_mask = _one_hint(32, 8, 8, colour)
        count = lightness.shape[0]
        hinted = predictor.predict(lightness, np.repeat(hint_ab, count, 0),
                                   np.repeat(hint_mask, count, 0)).numpy()
        ratios.append(toward(plain[:, 6:11, 6:11], hinted[:, 6:11, 6:11], colour))
    return ratios


def _one_hint(size: int, row: int, col: int, ab, radius: int = 2):
    hint_ab = np.zeros([1, size, size, 2], np.float32)
    hint_mask = np.zeros([1, size, size, 1], np.float32)
    hint_ab[0, row - radius:row + radius + 1, col - radius:col + radius + 1] = ab
    hint_mask[0, row - radius:row + radius + 1, col - radius:col + radius + 1] = 1
    return hint_ab, hint_mask


@pytest.mark.slow
def test_predictor_with_and_without_hints(hint_run):
    predictor = load_run(hint_run)
    assert predictor.accepts_hints and not predictor.accepts_global_hint
    lightness = next(iter(make_dataset(predictor.config.data, "test", 4)))["L"]
    plain = predictor.predict(lightness).numpy()
    zeros = predictor.predict(lightness, np.zeros([4, 32, 32, 2], np.float32),
                              np.zeros([4, 32, 32, 1], np.float32)).numpy()
    np.testing.assert_array_equal(plain, zeros)  # no hints == all-zero maps
    # Each hint pulls the colour at its patch toward its own colour; an untrained network
    # with the same inputs does not (so the check tells a run that learned from one that
    # did not). (How much hints help is measured by colorization-evaluate --hints.)
    ratios = _pulls(predictor, lightness)
    assert max(ratios) < TOWARD, ratios
    untrained = Predictor(build(predictor.config), 32, config=predictor.config)
    untrained.colorizer.build_all(32)
    assert max(_pulls(untrained, lightness)) >= TOWARD
    hint_ab, hint_mask = _one_hint(32, 8, 8, HINT_COLOURS[0])
    hinted = predictor.predict(lightness, np.repeat(hint_ab, 4, 0),
                               np.repeat(hint_mask, 4, 0)).numpy()
    change = np.abs(hinted - plain).mean(axis=(0, 3))  # near the hint, not far away
    assert change[6:11, 6:11].mean() > 3 * change[22:, 22:].mean()
    # one map for the whole batch broadcasts
    np.testing.assert_allclose(predictor.predict(lightness, hint_ab[0], hint_mask[0]).numpy(),
                               hinted, atol=1e-6)
    suggested = predictor.suggest_colors(lightness[0], hint_ab[0], hint_mask[0], x=16, y=16)
    want = color.model_to_rgb(lightness[0, 16, 16][None], hinted[0, 16, 16][None]).numpy()
    assert suggested.shape == (1, 3) and suggested.dtype == np.uint8
    np.testing.assert_allclose(suggested, np.round(want * 255), atol=1)
    with pytest.raises(ValueError, match="pixel \\(40, 3\\) is outside the 32x32 map"):
        predictor.suggest_colors(lightness[0], x=40, y=3)


@pytest.mark.slow
def test_colorize_rgb_takes_hints_in_the_photos_pixels(hint_run):
    predictor = load_run(hint_run)
    gray = np.full([96, 128, 3], 0.55, np.float32)
    plain = predictor.colorize_rgb(gray)
    blue = [0.2, 0.4, 0.9]
    colour = "#" + "".join(f"{round(v * 255):02x}" for v in blue)
    point = parse_hints(json.dumps({"points": [{"x": 64, "y": 48, "color": colour,
                                                "radius": 10}]}))
    hinted = predictor.colorize_rgb(gray, hints=point)
    assert hinted.shape == plain.shape == (96, 128, 3)

    def ab(rgb):
        return color.rgb_to_model(tf.constant(rgb / 255.0, tf.float32))[1].numpy()

    hint_ab = hex_to_ab([colour])[0]
    # the photo's colour at the point moved toward the hint's, and not far from it
    assert toward(ab(plain)[42:55, 58:71], ab(hinted)[42:55, 58:71], hint_ab) < TOWARD
    change = np.abs(hinted.astype(int) - plain).mean(axis=-1)
    assert change[42:55, 58:71].mean() > 3 * change[:16, :16].mean()


def test_runs_without_hint_inputs_refuse_hints():
    config = tiny_config("unet_l1")
    colorizer = build(config)
    colorizer.build_all(32)
    predictor = Predictor(colorizer, 32, name="plain", config=config)
    assert not predictor.accepts_hints and not predictor.accepts_global_hint
    with pytest.raises(ValueError, match="run plain \\(supervised\\) reads no hint_ab, "
                                         "hint_mask: only learned-hints runs"):
        predictor.predict(tf.zeros([1, 32, 32, 1]), tf.zeros([1, 32, 32, 2]),
                          tf.zeros([1, 32, 32, 1]))


def test_hint_shapes_are_checked_and_the_global_hint_is_optional():
    config = tiny_config("unet_hints_global")
    colorizer = build(config)
    colorizer.build_all(32)
    predictor = Predictor(colorizer, 32, name="global", config=config)
    assert predictor.accepts_hints and predictor.accepts_global_hint
    lightness = tf.random.stateless_uniform([2, 32, 32, 1], seed=[0, 0], minval=-1, maxval=1)
    plain = predictor.predict(lightness).numpy()
    zeros = predictor.predict(lightness, hint_global=tf.zeros([2, hints.global_hint_size()]))
    np.testing.assert_array_equal(plain, zeros.numpy())
    vector = hints.global_hint(tf.fill([32, 32, 2], 0.3))
    steered = predictor.predict(lightness, hint_global=vector).numpy()
    assert np.abs(steered - plain).max() > 1e-4  # the global hint reaches the output
    with pytest.raises(ValueError, match=r"hint_ab: expected shape \[2, 32, 32, 2\]"):
        predictor.predict(lightness, tf.zeros([2, 16, 16, 2]), tf.zeros([2, 32, 32, 1]))
    assert isinstance(colorizer, HintColorizer)


def test_reference_photo_gives_the_global_hint_of_its_colours(tmp_path):
    from PIL import Image

    photo = np.zeros([40, 60, 3], np.uint8)
    photo[:, :30] = [200, 40, 30]
    photo[:, 30:] = [30, 90, 200]
    Image.fromarray(photo).save(tmp_path / "reference.png")
    got = reference_global_hint(str(tmp_path / "reference.png"))
    _, ab = color.rgb_to_model(tf.constant(photo / 255.0, tf.float32))
    np.testing.assert_allclose(got, hints.global_hint(ab).numpy(), atol=1e-6)
    assert np.count_nonzero(got[:-2]) == 2 and got[-1] == 1.0
    np.testing.assert_allclose(got[:-2][got[:-2] > 0], [0.5, 0.5])
    with pytest.raises(ImageReadError, match="--reference=.*missing.jpg: no such file"):
        reference_global_hint(str(tmp_path / "missing.jpg"))


STANDALONE = """
import sys, numpy as np, tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
data = np.load(sys.argv[2])
with_hints = model.signatures["colorize_with_hints"]
out = with_hints(image=tf.constant(data["image"]), hint_ab=tf.constant(data["hint_ab"]),
                 hint_mask=tf.constant(data["hint_mask"]))["image"].numpy()
empty = with_hints(image=tf.constant(data["image"]), hint_ab=tf.zeros(data["hint_ab"].shape),
                   hint_mask=tf.zeros(data["hint_mask"].shape))["image"].numpy()
plain = model.signatures["serving_default"](image=tf.constant(data["image"]))["image"].numpy()
assert "colorization_tf" not in sys.modules
np.savez(sys.argv[3], out=out, empty=empty, plain=plain)
"""


@pytest.mark.slow
@pytest.mark.compiled
def test_export_adds_colorize_with_hints(hint_run, tmp_path):
    predictor = load_run(hint_run)
    out = str(tmp_path / "export")
    onnx = _has_onnx()
    manifest = export.export(predictor, out, ("saved_model", "tflite") + (("onnx",) * onnx))
    signatures = manifest["formats"]["saved_model"]["signatures"]
    assert "colorize_with_hints" in signatures and "hint_global" not in signatures[
        "colorize_with_hints"]
    assert set(manifest["formats"]["tflite"]["hint_inputs"]) == {"hint_ab", "hint_mask"}
    image = (np.random.default_rng(0).uniform(0.2, 0.8, [64, 64, 3]) * 255).astype(np.uint8)
    image[..., 1:] = image[..., :1]  # gray
    point = parse_hints(json.dumps({"points": [{"x": 32, "y": 32, "color": "#c040e0",
                                                "radius": 8}]}))
    hint_ab, hint_mask = rasterize(point, (64, 64), (32, 32))  # at the render size
    np.savez(tmp_path / "input.npz", image=image, hint_ab=hint_ab, hint_mask=hint_mask)
    script = tmp_path / "standalone.py"
    script.write_text(STANDALONE)
    done = subprocess.run([sys.executable, "-I", str(script), os.path.join(out, "saved_model"),
                           str(tmp_path / "input.npz"), str(tmp_path / "result.npz")],
                          capture_output=True, text=True, env=ENV, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    got = np.load(tmp_path / "result.npz")
    np.testing.assert_array_equal(got["empty"], got["plain"])  # zero hints: automatic
    want = predictor.colorize_rgb(image / 255.0, hints=point)
    assert np.abs(got["out"].astype(int) - want).mean() <= 1.0
    assert np.abs(got["out"].astype(int) - got["plain"]).max() > 10  # the hint was read
    # TFLite takes the hint inputs too and equals the Keras network
    lightness = np.random.default_rng(1).uniform(-1, 1, [1, 32, 32, 1]).astype(np.float32)
    small_ab, small_mask = _one_hint(32, 12, 20, [0.3, 0.3])
    tflite = run_tflite(os.path.join(out, "model.tflite"), lightness,
                               hint_ab=small_ab, hint_mask=small_mask)
    want = predictor.predict(lightness, small_ab, small_mask).numpy()
    np.testing.assert_allclose(tflite, want, atol=1e-4)
    if onnx:  # and so does ONNX
        import onnxruntime

        session = onnxruntime.InferenceSession(os.path.join(out, "model.onnx"))
        feeds = {"lightness": lightness, "hint_ab": small_ab, "hint_mask": small_mask}
        got = session.run(None, {item.name: feeds[next(
            key for key in sorted(feeds, key=len, reverse=True) if key in item.name)]
            for item in session.get_inputs()})[0]
        np.testing.assert_allclose(got, want, atol=1e-4)


def _has_onnx() -> bool:
    try:
        import onnxruntime  # noqa: F401
        import tf2onnx  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.compiled
def test_global_export_takes_hint_global(tmp_path):
    config = tiny_config("unet_hints_global")
    colorizer = build(config)
    colorizer.build_all(32)
    predictor = Predictor(colorizer, 32, name="global", config=config)
    out = str(tmp_path / "export")
    manifest = export.export(predictor, out, ("saved_model",))
    assert "hint_global float32 [231]" in \
        manifest["formats"]["saved_model"]["signatures"]["colorize_with_hints"]
    model = tf.saved_model.load(os.path.join(out, "saved_model"))
    image = np.full([40, 48, 1], 120, np.uint8)
    vector = hints.global_hint(tf.fill([8, 8, 2], 0.3))
    feeds = {"image": tf.constant(image), "hint_ab": tf.zeros([32, 32, 2]),
             "hint_mask": tf.zeros([32, 32, 1])}
    with_hints = model.signatures["colorize_with_hints"]
    steered = with_hints(**feeds, hint_global=vector)["image"].numpy()
    plain = with_hints(**feeds, hint_global=tf.zeros([231]))["image"].numpy()
    np.testing.assert_array_equal(
        plain, model.signatures["serving_default"](image=tf.constant(image))["image"].numpy())
    want = predictor.colorize_rgb(np.repeat(image / 255.0, 3, -1), hint_global=vector)
    assert steered.shape == (40, 48, 3)
    assert np.abs(steered.astype(int) - plain).max() > 0  # the global hint was read
    assert np.abs(steered.astype(int) - want).mean() <= 1.0


@pytest.mark.slow
def test_evaluate_hints_scores_what_a_learned_hints_run_does_with_revealed_points(
        hint_run, tmp_path):
    """What ``colorization-evaluate --hints`` computes (``evaluate_with_hints``) on a real
    learned-hints run: points revealed from the ground truth lower its ab error and raise
    its PSNR (the run reads the maps), and hints.json holds those figures."""
    from colorization_tf.evaluation import hint_points

    results, section = hint_points.evaluate_with_hints(
        [hint_run], [0, 100, 400], str(tmp_path), max_examples=16, batch_size=8)
    found = results[os.path.basename(hint_run)]
    assert found["points"] == [0, 100, 400]
    assert found["mae"][2] < found["mae"][1] < found["mae"][0], found
    assert found["mae"][2] < 0.9 * found["mae"][0], found
    assert found["psnr"][2] > found["psnr"][1] > found["psnr"][0], found
    stored = json.loads((tmp_path / hint_points.HINTS_JSON).read_text())
    assert stored["methods"][os.path.basename(hint_run)]["mae"] == found["mae"]
    assert f"| {os.path.basename(hint_run)} | {found['psnr'][0]:.2f} |" in section
    # the same points given to the untrained network: no such gain
    predictor = load_run(hint_run)
    untrained = Predictor(build(predictor.config), 32, config=predictor.config)
    untrained.colorizer.build_all(32)
    batches = make_dataset(dataclasses.replace(predictor.config.data, max_examples=16),
                           "test", 8)
    blind = hint_points.score_against_hints(hint_points.run_colorize(untrained), batches,
                                            [0, 400])
    assert blind["mae"][1] > 0.9 * blind["mae"][0], blind
