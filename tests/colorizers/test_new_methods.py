"""The methods added last — RGB reconstruction (Tran and Ly 2024), the edge- and
saliency-guided multi-path GAN (Sarkar et al. 2022), VGG16 transfer learning (Li and Wang): presets,
losses on hand-checked cases, compiled training, resume, inference and the report."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import tensorflow as tf
from support import build, tiny_config

from colorization_tf import color, presets, training
from colorization_tf.colorizers.rgb import RGBColorizer
from colorization_tf.evaluation import compare, report
from colorization_tf.inference import load_run
from colorization_tf.training import ConfigError, RunDir
from colorization_tf.training.config import apply_flags

TINY_MULTIPATH = {"type": "multipath_generator", "filters": [8, 8, 8, 8, 8, 8, 8],
                  "image_size": 64, "backbone_weights": "none", "backbone_size": 32}
TINY_PATCH = {"type": "patch_discriminator", "filters": [8, 8, 8, 8, 8]}
TINY_VGG_HEAD = {"type": "vgg16_zhang", "image_size": 32, "backbone_weights": "none",
                 "head_filters": 8}


def multipath_config(**values):
    return tiny_config("multipath", generator=TINY_MULTIPATH, discriminator=TINY_PATCH,
                       image_size=64, features=("edges", "saliency"), max_examples=16,
                       **values)


def test_presets_carry_the_seeds_values():
    multipath = presets.get("multipath")
    assert multipath.method.generator["backbone_weights"] == "imagenet"
    assert multipath.optim.learning_rate == 1e-4 and multipath.optim.scale("discriminator") == 0.1
    assert (multipath.runtime.batch_size, multipath.data.image_size) == (64, 64)
    assert multipath.data.features == ("edges", "saliency")
    vgg = presets.get("classification_vgg16")
    assert vgg.method.generator["type"] == "vgg16_zhang" and vgg.data.image_size == 224
    assert (vgg.optim.learning_rate, vgg.runtime.batch_size, vgg.runtime.epochs) == (1e-4, 128, 50)
    assert not vgg.method.generator["freeze_backbone"]
    rgb = presets.get("unet_rgb")
    assert rgb.method.name == "rgb" and rgb.method.generator == presets.get("unet_l1").method.generator


def test_backbone_weights_flag():
    config = apply_flags(presets.get("multipath"), backbone_weights="none")
    assert config.method.generator["backbone_weights"] == "none"
    with pytest.raises(ConfigError, match="--backbone_weights=none: .* no pretrained backbone"):
        apply_flags(presets.get("unet_l1"), backbone_weights="none")


def test_rgb_loss_is_l1_on_srgb():
    """A generator that outputs 0 predicts sRGB 0.5 everywhere: the loss is the mean of
    |0.5 - true sRGB|, computed here with numpy on the true RGB."""
    class Zero(tf.keras.layers.Layer):
        def call(self, x, training=False):
            return tf.zeros(tf.concat([tf.shape(x)[:-1], [3]], 0))

    colorizer = RGBColorizer(Zero())
    colorizer.compile(optimizer="adam")
    lightness = tf.random.stateless_uniform([2, 4, 4, 1], [1, 2], -1.0, 1.0)
    ab = tf.random.stateless_uniform([2, 4, 4, 2], [3, 4], -0.3, 0.3)
    logs = colorizer.test_step({"L": lightness, "ab": ab})
    rgb = color.model_to_rgb(lightness, ab).numpy()
    np.testing.assert_allclose(float(logs["loss"]), np.abs(0.5 - rgb).mean(), rtol=1e-5)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("new_methods")
    runs = {"rgb": str(root / "unet_rgb"), "multipath": str(root / "multipath")}
    tf.config.run_functions_eagerly(False)
    training.train(tiny_config("unet_rgb", epochs=2), runs["rgb"], verbose=0)
    training.train(multipath_config(), runs["multipath"], verbose=0)
    return runs


def _history(run_dir):
    with open(RunDir(run_dir).history) as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
@pytest.mark.compiled
def test_multipath_trains_compiled_and_tracks_every_term(trained):
    row = _history(trained["multipath"])[0]
    for name in ("d_loss", "g_l1", "g_gan", "g_saliency_weighted_l1", "g_saliency_map_l1",
                 "mae", "val_g_saliency_map_l1"):
        assert np.isfinite(float(row[name])), name
    predictor = load_run(trained["multipath"])
    photo = np.random.default_rng(0).uniform(0, 1, (70, 90, 3)).astype(np.float32)
    out = predictor.colorize_rgb(photo)
    assert out.shape == (70, 90, 3) and out.dtype == np.uint8
    # full resolution keeps the input's own lightness
    got_l = color.rgb_to_lab(out / 255.0).numpy()[..., 0]
    want_l = color.rgb_to_lab(photo).numpy()[..., 0]
    assert np.abs(got_l - want_l).mean() < 1.0


@pytest.mark.slow
@pytest.mark.compiled
def test_both_runs_appear_in_the_report(trained):
    found = compare.evaluate_runs([trained["rgb"], trained["multipath"]], "samples", "test",
                                  max_examples=8, batch_size=8, num_images=2, verbose=0)
    names = [entry["name"] for entry in found.results["runs"]]
    assert names == ["unet_rgb", "multipath"]
    for entry in found.results["runs"]:
        assert np.isfinite(entry["metrics"]["psnr"]) and np.isfinite(entry["mae"]["test"])
    rgb, multipath = found.results["runs"]
    assert 5 < rgb["metrics"]["psnr_rgb"] < 60 and "psnr_rgb" not in multipath["metrics"]
    assert "PSNR of the raw RGB output" in report.metrics_table(found.results)


@pytest.mark.slow
@pytest.mark.compiled
def test_rgb_run_resumes_to_the_same_weights(trained, tmp_path):
    class Stop(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    resumed = str(tmp_path / "resumed")
    with pytest.raises(KeyboardInterrupt):
        training.train(tiny_config("unet_rgb", epochs=2), resumed, verbose=0,
                       callbacks=[Stop()])
    training.train(tiny_config("unet_rgb", epochs=2), resumed, verbose=0)
    straight = load_run(trained["rgb"]).colorizer.generator.get_weights()
    again = load_run(resumed).colorizer.generator.get_weights()
    for a, b in zip(straight, again, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert [row["epoch"] for row in _history(resumed)] == ["0", "1"]


@pytest.mark.compiled
def test_vgg16_classification_step_compiled():
    config = tiny_config("classification_vgg16", generator=TINY_VGG_HEAD, image_size=32)
    colorizer = build(config)
    colorizer.build_all(32)
    batch = {"L": tf.random.uniform([2, 32, 32, 1], -1, 1),
             "ab": tf.random.uniform([2, 32, 32, 2], -0.3, 0.3),
             "label": tf.zeros([2], tf.int64)}
    logs = colorizer.fit(tf.data.Dataset.from_tensors(batch).repeat(), epochs=1,
                         steps_per_epoch=2, verbose=0, shuffle=False).history
    assert np.isfinite(logs["loss"][-1])
    assert colorizer.predict_ab(batch["L"]).shape == (2, 32, 32, 2)


@pytest.mark.slow
@pytest.mark.compiled
def test_multipath_colorize_writes_the_saliency_map_on_request(trained, tmp_path):
    from PIL import Image

    from colorization_tf.inference import photos

    photo = tmp_path / "in" / "photo.png"
    photo.parent.mkdir()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (50, 70, 3), np.uint8)).save(photo)
    summary = photos.colorize_paths(trained["multipath"], [str(photo)], str(tmp_path / "out"),
                                    saliency=True, log=lambda _: None)
    assert not summary.failed
    with Image.open(tmp_path / "out" / "photo.png") as colour, \
            Image.open(tmp_path / "out" / "photo.saliency.png") as saliency:
        assert colour.size == saliency.size == (70, 50) and saliency.mode == "L"
    with pytest.raises(ValueError, match="--saliency: run unet_rgb"):
        photos.colorize_paths(trained["rgb"], [str(photo)], str(tmp_path / "out2"),
                              saliency=True)
