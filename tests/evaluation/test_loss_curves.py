"""Figure 3: loss curves from GAN and supervised history.csv files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from colorization_tf.evaluation.loss_curves import plot_loss_curves, read_history

GAN_HISTORY = """epoch,d_fake,d_real,g_adv,g_l1,mae,val_g_l1,val_mae
0,0.55,0.97,0.99,0.41,0.41,0.13,0.13
1,0.50,0.90,1.10,0.30,0.30,0.12,0.12
2,0.45,0.85,1.20,0.20,0.20,0.11,0.11
"""
SUPERVISED_HISTORY = """epoch,loss,mae,val_loss,val_mae
0,0.3,0.3,0.2,0.2
1,0.2,0.2,0.15,0.15
"""


def _write(tmp_path, text):
    path = tmp_path / "history.csv"
    path.write_text(text)
    return str(path)


def test_gan_history_draws_adversarial_losses_and_the_l1_term(tmp_path):
    out = tmp_path / "fig" / "loss_curves.png"
    drawn = plot_loss_curves(_write(tmp_path, GAN_HISTORY), str(out))
    assert drawn == ["d_real", "d_fake", "g_adv", "g_l1", "val_g_l1", "mae", "val_mae"]
    image = np.asarray(Image.open(out))
    assert image.shape[1] > image.shape[0] > 100  # two panels side by side
    assert not list(out.parent.glob(".tmp-*"))  # atomic write left no temp file


def test_supervised_history_draws_loss_and_mae(tmp_path):
    out = tmp_path / "curves.png"
    drawn = plot_loss_curves(_write(tmp_path, SUPERVISED_HISTORY), str(out))
    assert drawn == ["loss", "val_loss", "mae", "val_mae"]
    assert Image.open(out).size[0] > 100


def test_read_history_columns(tmp_path):
    history = read_history(_write(tmp_path, GAN_HISTORY))
    assert history["g_adv"] == [0.99, 1.10, 1.20]
    assert history["epoch"] == [0, 1, 2]


def test_bad_histories_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        plot_loss_curves(str(tmp_path / "missing.csv"), str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="no epochs"):
        plot_loss_curves(_write(tmp_path, "epoch,loss\n"), str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="none of the loss columns"):
        plot_loss_curves(_write(tmp_path, "epoch,foo\n0,1\n"), str(tmp_path / "x.png"))
    assert not (tmp_path / "x.png").exists()
