"""Sizes a user controls are bounded, and an output-folder flag that names a file is one
line about that flag, before any model is loaded or any data is read."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from colorization_tf.data import DataConfig
from colorization_tf.data.prepared import prepare_dataset
from colorization_tf.inference import full_resolution, photos, serving

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


@pytest.fixture
def a_file(tmp_path) -> str:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"not a folder")
    return str(path)


def test_render_size_is_bounded_with_the_flag_and_the_limit():
    for bad in (100000, 7, 0, -3):
        with pytest.raises(ValueError, match=rf"^--render_size={bad}: expected a size in "
                                             r"8\.\.2048 "):
            full_resolution.render_size(bad, 32)
    assert full_resolution.render_size(None, 32) == 32
    assert full_resolution.render_size(2048, 32) == 2048


def test_colorize_refuses_bad_sizes_and_a_file_as_output_dir_before_loading(tmp_path,
                                                                            a_file):
    missing_run = str(tmp_path / "no-run")  # loading it would fail with another message
    with pytest.raises(ValueError, match=r"^--render_size=100000: expected"):
        photos.colorize_paths(missing_run, [a_file], str(tmp_path / "out"),
                              render_size=100000)
    with pytest.raises(ValueError, match=r"^--batch_size=100000: expected 1\.\.256"):
        photos.colorize_paths(missing_run, [a_file], str(tmp_path / "out"),
                              batch_size=100000)
    with pytest.raises(ValueError, match=r"^--output_dir=.*photo\.jpg is a file; expected a "
                                         "folder"):
        photos.colorize_paths(missing_run, [a_file], a_file)


def test_prepare_and_export_refuse_a_file_as_out(a_file):
    with pytest.raises(ValueError, match=r"^--out=.*photo\.jpg is a file"):
        prepare_dataset(DataConfig(max_examples=2), a_file)
    with pytest.raises(ValueError, match=r"^--out=.*photo\.jpg is a file"):
        serving.export(predictor=None, out=a_file)  # refused before the model is touched


def test_image_size_is_bounded():
    with pytest.raises(ValueError, match=r"^--image_size=100000: expected a size in 1\.\.2048"):
        DataConfig(image_size=100000).validate()


@pytest.mark.slow
def test_cli_render_size_and_output_dir_errors_are_one_line(tmp_path, a_file):
    for flags, expected in ((["--render_size=100000", f"--output_dir={tmp_path}"],
                             "colorization-colorize: --render_size=100000: expected a size "
                             "in 8..2048"),
                            ([f"--output_dir={a_file}"],
                             f"colorization-colorize: --output_dir={a_file} is a file")):
        done = subprocess.run([sys.executable, "-m", "colorization_tf.colorize",
                               f"--run_dir={tmp_path / 'no-run'}", *flags, a_file],
                              capture_output=True, text=True, env=ENV, timeout=300)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(expected) and done.stderr.count("\n") == 1, done.stderr
