"""export: the SavedModel works without the package (``python -I``) and equals
``colorize``'s output; TFLite equals the Keras model; classification runs export decoded
colours; ONNX (when tf2onnx is installed) equals the SavedModel's network."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import skimage.data
import support
from PIL import Image
from support import tiny_config
from tflite_run import run_tflite

from colorization_tf import training
from colorization_tf.inference import load_run, photos, serving

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
pytestmark = [pytest.mark.slow, pytest.mark.compiled]

STANDALONE = """
import sys, numpy as np, tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
image = np.load(sys.argv[2])
out = model.signatures["serving_default"](image=tf.constant(image))["image"].numpy()
gray = model.signatures["serving_default"](image=tf.constant(image[..., :1]))["image"]
png = model.signatures["colorize_bytes"](image_bytes=tf.constant(open(sys.argv[3], "rb").read()))
assert "colorization_tf" not in sys.modules
np.savez(sys.argv[4], image=out, gray=gray.numpy(), png=np.frombuffer(png["png"].numpy(), np.uint8))
"""


def _photo() -> np.ndarray:
    return np.ascontiguousarray(skimage.data.astronaut()[60:157, 120:251])  # 97 x 131


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    runs = {}
    for preset in ("unet_l1", "classification"):
        run_dir = str(root / preset)
        training.train(tiny_config(preset), run_dir, verbose=0)
        out = str(root / f"{preset}-export")
        formats = ("saved_model", "tflite") + (("onnx",) if preset == "unet_l1" and
                                               _has_onnx() else ())
        serving.export(load_run(run_dir), out, formats)
        runs[preset] = (run_dir, out)
    return runs


def _has_onnx() -> bool:
    try:
        import onnxruntime  # noqa: F401
        import tf2onnx  # noqa: F401
    except ImportError:
        return False
    return True


def test_saved_model_runs_without_the_package_and_equals_colorize(exported, tmp_path):
    run_dir, out = exported["unet_l1"]
    photo_path = tmp_path / "photo.png"
    Image.fromarray(_photo()).save(photo_path)
    np.save(tmp_path / "photo.npy", _photo())
    script = tmp_path / "standalone.py"
    script.write_text(STANDALONE)
    result = tmp_path / "result.npz"
    done = subprocess.run([sys.executable, "-I", str(script), os.path.join(out, "saved_model"),
                           str(tmp_path / "photo.npy"), str(photo_path), str(result)],
                          capture_output=True, text=True, env=ENV, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    got = np.load(result)
    colour_dir = tmp_path / "colour"
    summary = photos.colorize_paths(run_dir, [str(photo_path)], str(colour_dir),
                                    log=lambda _: None)
    assert not summary.failed
    reference = np.asarray(Image.open(colour_dir / "photo.png"), np.int16)
    assert got["image"].shape == reference.shape == (97, 131, 3)
    assert np.abs(got["image"].astype(np.int16) - reference).mean() <= 1.0
    decoded = np.asarray(Image.open(io.BytesIO(got["png"].tobytes())), np.int16)
    assert np.abs(decoded - reference).mean() <= 1.0
    assert got["gray"].shape == (97, 131, 3)


def test_tflite_equals_keras(exported):
    run_dir, out = exported["unet_l1"]
    predictor = load_run(run_dir)
    size = predictor.image_size
    lightness = np.random.default_rng(0).uniform(-1, 1, (1, size, size, 1)).astype(np.float32)
    want = predictor.predict(lightness).numpy()
    got = run_tflite(os.path.join(out, "model.tflite"), lightness)
    np.testing.assert_allclose(got, want, atol=1e-4)
    half = run_tflite(os.path.join(out, "model_float16.tflite"), lightness)
    assert np.abs(half - want).max() < 0.05


def test_classification_export_returns_decoded_colours(exported):
    import tensorflow as tf

    run_dir, out = exported["classification"]
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    assert manifest["decoder"]["method"] == "annealed"
    predictor = load_run(run_dir)
    size = predictor.image_size
    lightness = np.random.default_rng(1).uniform(-1, 1, (2, size, size, 1)).astype(np.float32)
    want = predictor.predict(lightness).numpy()
    model = tf.saved_model.load(os.path.join(out, "saved_model"))
    got = model.signatures["network"](lightness=tf.constant(lightness))["output_0"].numpy()
    assert got.shape == (2, size, size, 2)
    np.testing.assert_allclose(got, want, atol=1e-4)
    tflite = run_tflite(os.path.join(out, "model.tflite"), lightness[:1])
    np.testing.assert_allclose(tflite, want[:1], atol=1e-3)


def test_manifest_names_what_was_exported(exported):
    _, out = exported["unet_l1"]
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    assert manifest["preset"] == "unet_l1" and manifest["render_size"] == 32
    assert manifest["lab_scaling"]["ab"] == "(ab + 0.5) / 127.5"
    assert manifest["decoder"] is None and manifest["package_version"]
    assert {"saved_model", "tflite"} <= set(manifest["formats"])


def test_onnx_equals_saved_model(exported):
    support.need(_has_onnx(), "tf2onnx / onnxruntime not installed (extra [export])")
    import onnxruntime
    import tensorflow as tf

    _, out = exported["unet_l1"]
    lightness = np.random.default_rng(2).uniform(-1, 1, (3, 32, 32, 1)).astype(np.float32)
    model = tf.saved_model.load(os.path.join(out, "saved_model"))
    want = model.signatures["network"](lightness=tf.constant(lightness))["output_0"].numpy()
    session = onnxruntime.InferenceSession(os.path.join(out, "model.onnx"))
    got = session.run(None, {session.get_inputs()[0].name: lightness})[0]
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_cli_rejects_an_unknown_format_in_one_line(exported, tmp_path):
    run_dir, _ = exported["unet_l1"]
    done = subprocess.run([sys.executable, "-m", "colorization_tf.export",
                           f"--run_dir={run_dir}", f"--out={tmp_path / 'x'}",
                           "--formats=saved_model,coreml"], capture_output=True, text=True,
                          env=ENV, timeout=300)
    assert done.returncode == 2
    assert "--formats must be a subset of saved_model,tflite,onnx" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
