"""The prepare CLI through a subprocess, on tiny settings (errors and the exact round trip
are checked in-process in test_tfrecords.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from colorization_tf import files
from colorization_tf.data import sources, tfrecords

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


def _prepare(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorization_tf.prepare", *flags],
                          capture_output=True, text=True, env=ENV, timeout=300)


@pytest.mark.slow
def test_prepare_cli_writes_shards_and_manifest(tmp_path):
    out = str(tmp_path / "samples")
    done = _prepare("--dataset=samples", "--max_examples=20", "--shard_size=16", f"--out={out}")
    assert done.returncode == 0, done.stderr[-3000:]

    manifest = files.read_json(os.path.join(out, tfrecords.MANIFEST))
    assert {s: v["count"] for s, v in manifest["splits"].items()} == {
        "train": 20, "val": 20, "test": 20}
    assert manifest["splits"]["train"]["shards"] == ["train-00000.tfrecord",
                                                     "train-00001.tfrecord"]
    dropped = manifest["filtering"]["dropped_gray"]
    assert dropped > 0  # the samples hold near-gray crops (dark sky, microscopy background)
    assert f"{dropped} gray images dropped" in done.stdout
    assert manifest["data"]["max_examples"] == 20 and manifest["source"]["name"] == "samples"

    source = sources.load_source(f"tfrecords:{out}")
    for split, pool in source.pools.items():
        images = [ex["image"].numpy() for ex in pool]
        assert len(images) == manifest["splits"][split]["count"]
        assert all(im.shape == (32, 32, 3) and im.dtype == "uint8" for im in images)

