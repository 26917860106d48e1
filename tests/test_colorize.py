"""colorize: reading every kind of user image, the full-resolution output that keeps the
input's own L (checked with scikit-image), the CLI's failure reporting, naming, and that
inputs are never written over."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import skimage.data
import tensorflow as tf
from PIL import Image, ImageCms
from skimage.color import rgb2lab
from support import tiny_config

from colorization_tf import training
from colorization_tf.inference import load_run, photos, user_images
from colorization_tf.training import RunDir, RunDirError

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
EXIF_ORIENTATION = 0x0112


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> str:
    """A tiny U-Net trained for one epoch on tiny samples."""
    path = str(tmp_path_factory.mktemp("run"))
    training.train(tiny_config(), path, verbose=0)
    return path


def _photo(height: int, width: int) -> np.ndarray:
    return np.ascontiguousarray(skimage.data.astronaut()[40:40 + height, 150:150 + width])


def _rgba() -> Image.Image:
    rgba = np.dstack([_photo(37, 45), np.tile(np.linspace(0, 255, 45), (37, 1))])
    return Image.fromarray(rgba.astype(np.uint8), "RGBA")


def _exif_jpeg(path: str) -> None:
    """A 40x24 (w x h) JPEG whose orientation tag 6 says: rotate 90 degrees to display."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    Image.fromarray(_photo(24, 40)).save(path, quality=95, exif=exif)


def _sixteen_bit() -> np.ndarray:
    ramp = np.linspace(3000, 62000, 33 * 29).reshape(29, 33)
    return ramp.astype(np.uint16)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, str]:
    """One file per kind of input (good and bad) in ``photos/`` plus a clashing name."""
    root = tmp_path_factory.mktemp("inputs")
    photos = root / "photos"
    (photos / "sub").mkdir(parents=True)
    paths = {
        "rgb": photos / "rgb.jpg", "gray": photos / "gray.png", "rgba": photos / "rgba.png",
        "palette": photos / "sub" / "palette.png", "g16": photos / "g16.png",
        "cmyk": photos / "cmyk.jpg", "exif": photos / "exif.jpg",
        "broken": photos / "broken.jpg", "text": root / "notes.txt",
        "clash": root / "more" / "rgb.png",
    }
    Image.fromarray(_photo(53, 61)).save(paths["rgb"], quality=95)
    Image.fromarray(skimage.data.camera()[100:147, 200:251]).save(paths["gray"])
    _rgba().save(paths["rgba"])
    Image.fromarray(_photo(31, 43)).convert("P", palette=Image.Palette.ADAPTIVE).save(
        paths["palette"])
    Image.fromarray(_sixteen_bit()).save(paths["g16"])
    Image.fromarray(_photo(35, 28)).convert("CMYK").save(paths["cmyk"])
    _exif_jpeg(str(paths["exif"]))
    with open(paths["rgb"], "rb") as handle:
        paths["broken"].write_bytes(handle.read(300))  # a truncated JPEG
    paths["text"].write_text("not an image\n")
    paths["clash"].parent.mkdir()
    Image.fromarray(_photo(20, 22)).save(paths["clash"])
    return {k: str(v) for k, v in paths.items()} | {"photos": str(photos)}


@pytest.fixture(scope="module")
def cli_result(run_dir, inputs, tmp_path_factory):
    """One CLI run over a folder, a clashing file, a non-image file and a missing file."""
    out = str(tmp_path_factory.mktemp("out"))
    missing = os.path.join(os.path.dirname(inputs["text"]), "missing.png")
    command = [sys.executable, "-m", "colorization_tf.colorize", f"--run_dir={run_dir}",
               f"--output_dir={out}", inputs["photos"], inputs["clash"], inputs["text"],
               missing]
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
    return done, out


def _l_channel(rgb_uint8_or_float: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb_uint8_or_float, np.float64)
    return rgb2lab(rgb / 255.0 if rgb.max() > 1.0 else rgb)[..., 0]


def _assert_keeps_lightness(reference_rgb: np.ndarray, output_path: str) -> None:
    """Same size, and the same CIE L (scikit-image) wherever the output's colour was not
    clipped to the sRGB gamut (clipping is the one thing that may change L), within 8-bit
    quantization (< 0.5 L units)."""
    out = np.asarray(Image.open(output_path))
    assert out.dtype == np.uint8 and out.shape == reference_rgb.shape[:2] + (3,)
    inside = np.all((out > 0) & (out < 255), axis=-1)
    assert inside.mean() > 0.5
    error = np.abs(_l_channel(out) - _l_channel(reference_rgb))
    assert error[inside].max() < 0.5
    assert error.mean() < 1.5


def test_cli_reports_failures_and_writes_the_rest(cli_result, inputs):
    done, out = cli_result
    assert done.returncode != 0
    assert f"{inputs['broken']}: cannot decode image" in done.stderr
    assert f"{inputs['text']}: not an image" in done.stderr
    assert "missing.png: no such file" in done.stderr
    assert "8 colorized, 3 failed" in done.stdout
    written = sorted(os.path.relpath(os.path.join(d, f), out)
                     for d, _, fs in os.walk(out) for f in fs)
    assert written == sorted(["rgb.png", "rgb-1.png", "gray.png", "rgba.png",
                              "sub/palette.png", "g16.png", "cmyk.png", "exif.png"])


@pytest.mark.parametrize("kind", ["rgb", "gray", "palette", "cmyk"])
def test_output_has_full_resolution_and_original_lightness(cli_result, inputs, kind):
    _, out = cli_result
    name = {"palette": "sub/palette"}.get(kind, kind)
    reference = np.asarray(Image.open(inputs[kind]).convert("RGB"))
    _assert_keeps_lightness(reference, os.path.join(out, name + ".png"))


def test_rgba_is_flattened_onto_white(cli_result):
    _, out = cli_result
    rgba = np.asarray(_rgba(), np.float64)
    alpha = rgba[..., 3:] / 255.0
    on_white = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
    _assert_keeps_lightness(on_white, os.path.join(out, "rgba.png"))


def test_sixteen_bit_gray_is_scaled_from_65535(cli_result):
    _, out = cli_result
    gray = _sixteen_bit() / 65535.0
    _assert_keeps_lightness(np.repeat(gray[..., None], 3, axis=-1), os.path.join(out, "g16.png"))


def test_exif_orientation_is_honoured(cli_result, inputs):
    _, out = cli_result
    result = np.asarray(Image.open(os.path.join(out, "exif.png")))
    assert result.shape == (40, 24, 3)  # stored 24 rows x 40 columns, displayed rotated
    with Image.open(inputs["exif"]) as stored:
        upright = np.asarray(stored.convert("RGB").transpose(Image.Transpose.ROTATE_270))
    _assert_keeps_lightness(upright, os.path.join(out, "exif.png"))


def test_inputs_are_untouched_and_no_temp_files_remain(cli_result, inputs):
    _, out = cli_result
    assert Image.open(inputs["rgb"]).format == "JPEG"
    assert not [f for _, _, fs in os.walk(out) for f in fs if f.startswith(".tmp-")]


def test_never_writes_over_an_input(run_dir, inputs, tmp_path):
    folder = tmp_path / "inplace"
    shutil.copytree(inputs["photos"], folder)
    before = (folder / "gray.png").read_bytes()
    summary = photos.colorize_paths(run_dir, [str(folder / "gray.png")], str(folder),
                                      log=lambda _: None)
    assert summary.written == []
    assert "would overwrite an input" in summary.failed[0][1]
    assert (folder / "gray.png").read_bytes() == before


def test_output_folder_inside_an_input_folder_is_not_read_back(inputs, tmp_path):
    folder = tmp_path / "photos"
    shutil.copytree(inputs["photos"], folder)
    out = folder / "colour"
    (out / "old").mkdir(parents=True)
    Image.fromarray(_photo(8, 8)).save(out / "old" / "earlier.png")
    jobs, failures = photos.plan([str(folder)], str(out))
    assert not failures
    assert not [src for src, _ in jobs if os.path.commonpath([src, str(out)]) == str(out)]
    assert len(jobs) == 8


def test_plan_names_keep_sub_paths_and_disambiguate(tmp_path):
    for rel in ("a/x.jpg", "a/x.png", "a/s/x.png", "b/x.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    jobs, failures = photos.plan([str(tmp_path / "a"), str(tmp_path / "b" / "x.png")], "out")
    assert not failures
    assert [os.path.relpath(o, "out") for _, o in jobs] == ["x.png", "x-1.png", "s/x.png",
                                                           "x-2.png"]


def test_missing_run_dir_gives_a_clear_error(tmp_path, inputs):
    missing = tmp_path / "no_run"
    command = [sys.executable, "-m", "colorization_tf.colorize", f"--run_dir={missing}",
               f"--output_dir={tmp_path / 'out'}", inputs["rgb"]]
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode != 0
    assert f"--run_dir={missing} does not exist" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_run_without_weights_gives_a_clear_error(run_dir, inputs, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(RunDir(run_dir).config, bare)
    with pytest.raises(RunDirError, match="no trained weights"):
        photos.colorize_paths(str(bare), [inputs["rgb"]], str(tmp_path / "out"))


def test_codes_bytes_is_what_read_codes_returns(inputs, tmp_path):
    """The size a pipeline reserves before decoding (from the header alone) is the decoded
    codes' size for every kind of input (8-bit, 16-bit gray, palette, alpha, CMYK, EXIF
    rotation), and 0 for a file that is not an image or is missing."""
    for kind in ("rgb", "gray", "rgba", "palette", "g16", "cmyk", "exif", "clash"):
        codes = user_images.read_codes(inputs[kind])
        assert user_images.codes_bytes(inputs[kind]) == codes.nbytes, kind
    assert user_images.codes_bytes(inputs["text"]) == 0
    assert user_images.codes_bytes(str(tmp_path / "missing.png")) == 0


def test_read_rgb_modes_against_pillow():
    """Direct checks of the reader: 16-bit keeps precision, alpha goes onto white, an
    embedded sRGB ICC profile changes nothing."""
    sixteen = Image.fromarray(_sixteen_bit())
    assert sixteen.mode.startswith("I;16")
    np.testing.assert_allclose(user_images.unit_scale(user_images.to_codes(sixteen))[..., 1],
                               _sixteen_bit() / 65535.0, atol=1e-6)
    clear = Image.new("RGBA", (3, 2), (10, 200, 30, 0))
    np.testing.assert_array_equal(user_images.unit_scale(user_images.to_codes(clear)),
                                  np.ones((2, 3, 3), np.float32))
    photo = Image.fromarray(_photo(9, 7))
    buffer = io.BytesIO()
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo.save(buffer, format="PNG", icc_profile=profile)
    with Image.open(buffer) as tagged:
        assert tagged.info.get("icc_profile")
        np.testing.assert_allclose(user_images.unit_scale(user_images.to_codes(tagged)),
                                   np.asarray(photo, np.float32) / 255.0, atol=2.5 / 255.0)


def test_colorize_rgb_matches_manual_pipeline(run_dir):
    """The library function against the steps done by hand: resize, predict, upsample ab
    bilinearly, join with full-resolution L (skimage for the colour conversions)."""
    predictor = load_run(run_dir)
    colorizer, size = predictor.colorizer, predictor.image_size
    rgb = _photo(45, 70).astype(np.float32) / 255.0
    got = predictor.colorize_rgb(rgb)

    from skimage.color import lab2rgb

    small = tf.clip_by_value(tf.image.resize(rgb[None], [size, size], antialias=True), 0, 1)
    small_l = (rgb2lab(small.numpy()[0])[..., :1] - 50.0) / 50.0
    ab = colorizer.predict_ab(tf.constant(small_l[None], tf.float32))
    ab = tf.image.resize(ab, [45, 70], method="bilinear")[0].numpy() * 127.5 - 0.5
    want = lab2rgb(np.concatenate([rgb2lab(rgb)[..., :1], ab], axis=-1))
    assert got.shape == (45, 70, 3)
    assert np.abs(got.astype(np.float64) - want * 255.0).max() < 2.0
