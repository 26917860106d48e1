"""Reference classifier (Li and Wang's metric) and the distribution scores."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import color as skcolor

from colorization_tf.data import DataConfig, make_dataset
from colorization_tf.evaluation import reference
from colorization_tf.training import RunDirError

HUES = (0.0, 0.25, 0.5, 0.75)  # one class per hue


def _hue_dataset(root, per_class: int, seed: int) -> None:
    """Images whose class is set by hue alone: random lightness texture, fixed chroma."""
    rng = np.random.default_rng(seed)
    for k, hue in enumerate(HUES):
        folder = root / f"class{k}"
        folder.mkdir(parents=True)
        for i in range(per_class):
            value = rng.uniform(0.3, 1.0, (4, 4))
            value = np.kron(value, np.ones((4, 4)))
            hsv = np.stack([np.full_like(value, hue), np.full_like(value, 0.8), value], -1)
            rgb = np.round(skcolor.hsv2rgb(hsv) * 255).astype(np.uint8)
            Image.fromarray(rgb).save(folder / f"{i}.png")


@pytest.fixture(scope="module")
def hue_reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("hues")
    _hue_dataset(root / "train", per_class=24, seed=0)
    _hue_dataset(root / "test", per_class=8, seed=1)
    data = DataConfig(dataset=f"folder:{root}", image_size=16, filter_gray=False,
                      split_method="random")
    run_dir = str(tmp_path_factory.mktemp("reference"))
    reference.train_reference(data, run_dir, epochs=8, batch_size=16, filters=(8, 16),
                              feature_dim=16, verbose=0)
    return data, run_dir


def test_reference_classifier_reads_hue_from_colour_not_from_gray(hue_reference):
    data, run_dir = hue_reference
    network = reference.ReferenceNetwork(run_dir)
    from colorization_tf import color

    truth, gray = reference.Collector(), reference.Collector()
    for batch in make_dataset(data, "test", 16):
        truth.add(network, color.model_to_rgb(batch["L"], batch["ab"]), batch["label"])
        gray.add(network, color.model_to_rgb(batch["L"], color.gray_ab(batch["ab"])),
                 batch["label"])
    colour_acc = truth.summary()["accuracy"]
    gray_acc = gray.summary()["accuracy"]
    chance = 1 / len(HUES)
    assert colour_acc >= 0.8 > chance + 0.3
    assert colour_acc > gray_acc + 0.3


def test_load_reference_rejects_a_colorizer_run(tmp_path):
    (tmp_path / "config.json").write_text('{"method": "supervised"}')
    with pytest.raises(RunDirError, match=str(tmp_path)):
        reference.load_reference(str(tmp_path))


def test_reference_needs_labels(tmp_path):
    (tmp_path / "a.png").parent.mkdir(exist_ok=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    data = DataConfig(dataset=f"folder:{tmp_path}", image_size=8, filter_gray=False)
    with pytest.raises(ValueError, match="labelled"):
        reference.train_reference(data, str(tmp_path / "ref"), epochs=1, batch_size=1)


def test_inception_score_bounds():
    assert reference.inception_score(np.full((6, 4), 0.25)) == pytest.approx(1.0)
    assert reference.inception_score(np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3]]) == pytest.approx(4.0)
    one_class = np.tile([[1.0, 0.0, 0.0]], (5, 1))
    assert reference.inception_score(one_class) == pytest.approx(1.0)


def test_frechet_distance_matches_gaussian_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, (20000, 3))
    b = rng.normal(0.0, 2.0, (20000, 3)) + np.array([1.0, 0.0, 0.0])
    # |mu|^2 + Tr(I + 4I - 2*2I) = 1 + 3*(1 + 4 - 4) = 4
    assert reference.frechet_distance(a, b) == pytest.approx(4.0, rel=0.05)
    assert reference.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
