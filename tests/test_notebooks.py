"""The notebooks execute top to bottom (nbclient) on tiny settings, injected as a cell
after each notebook's "parameters" cell, in a kernel registered for this Python; what
they show is what they wrote (the displayed PNGs are the files' bytes and decode to the
photo's size, the displayed Markdown is the report file)."""

from __future__ import annotations

import base64
import io
import os

import nbformat
import pytest
from ipykernel import kernelspec
from nbclient import NotebookClient
from PIL import Image
from support import TINY_UNET

NOTEBOOKS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "notebooks")
KERNEL = "colorization-tf-test"
TINY = {"generator": TINY_UNET}


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """A kernelspec for ``sys.executable`` in a temporary Jupyter path (works in a fresh
    venv where no kernel is registered)."""
    kernelspec.install(kernel_name=KERNEL, prefix=str(tmp_path / "jupyter"),
                       display_name="colorization_tf tests")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter" / "share" / "jupyter"))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return KERNEL


def _run(name: str, overrides: str, workdir, kernel_name: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    tagged = [i for i, cell in enumerate(notebook.cells)
              if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name} needs exactly one cell tagged 'parameters'"
    notebook.cells.insert(tagged[0] + 1, nbformat.v4.new_code_cell(overrides))
    client = NotebookClient(notebook, kernel_name=kernel_name, timeout=300,
                            resources={"metadata": {"path": str(workdir)}})
    client.execute()
    return notebook


def _displayed(notebook, mime: str) -> list:
    """Every ``mime`` output of the executed notebook, in order (PNG decoded to bytes)."""
    found = [output["data"][mime] for cell in notebook.cells
             for output in cell.get("outputs", []) if mime in output.get("data", {})]
    return [base64.b64decode(item) for item in found] if mime == "image/png" else found


def _printed(notebook) -> str:
    return "".join(output.get("text", "") for cell in notebook.cells
                   for output in cell.get("outputs", []) if output.get("output_type") == "stream")


@pytest.mark.slow
def test_quickstart_executes(kernel, tmp_path):
    overrides = (f"DATASET = 'samples'\nEPOCHS = 1\nBATCH_SIZE = 8\nMAX_EXAMPLES = 16\n"
                 f"OVERRIDES = {TINY!r}\nSHOW_TENSORBOARD = False\n")
    notebook = _run("quickstart.ipynb", overrides, tmp_path, kernel)
    assert (tmp_path / "runs" / "quickstart" / "generator.weights.h5").is_file()
    samples, colorized = _displayed(notebook, "image/png")
    assert samples == (tmp_path / "runs" / "quickstart" / "samples.png").read_bytes()
    assert colorized == (tmp_path / "colorized" / "coffee.png").read_bytes()
    with Image.open(io.BytesIO(colorized)) as image:
        assert image.size == (600, 400) and image.mode == "RGB"  # skimage's coffee, full size


@pytest.mark.slow
def test_compare_methods_executes(kernel, tmp_path):
    overrides = (f"DATASET = 'samples'\nPRESETS = ['unet_l1', 'unet_l2']\nEPOCHS = 1\n"
                 f"BATCH_SIZE = 8\nMAX_EXAMPLES = 16\n"
                 f"OVERRIDES = {{'unet_l1': {TINY!r}, 'unet_l2': {TINY!r}}}\n")
    notebook = _run("compare_methods.ipynb", overrides, tmp_path, kernel)
    text = (tmp_path / "reports" / "compare" / "report.md").read_text()
    assert text.index("| unet_l1 |") < text.index("| unet_l2 |")
    assert _displayed(notebook, "text/markdown") == [text]
    comparison = _displayed(notebook, "image/png")
    assert len(comparison) == 1 and comparison[0].startswith(b"\x89PNG")
    assert any(comparison[0] == path.read_bytes()
               for path in (tmp_path / "reports" / "compare").glob("*.png"))


MOCK_CIFAR10 = ("import tensorflow_datasets as tfds\n"
                "from colorization_tf.data import sources\n"
                "sources.network_reachable = lambda builder, timeout=3.0: True\n"
                "_mock = tfds.testing.mock_data(num_examples=40)\n"
                "_mock.__enter__()\n")


@pytest.mark.slow
@pytest.mark.parametrize("paper, dataset", [("galvao", "cifar10"), ("li_wang", "samples"),
                                            ("tran", "samples")])
def test_reproduce_notebook_executes_at_smoke_scale(kernel, tmp_path, paper, dataset):
    """Each paper's notebook at smoke scale (galvao on mock CIFAR-10, the others on
    samples); outside Colab the install and Drive cells do nothing."""
    overrides = (f"SCALE = 'smoke'\nDATASET = {dataset!r}\nOUT = 'reproduce/{paper}'\n"
                 + (MOCK_CIFAR10 if dataset == "cifar10" else ""))
    notebook = _run(f"reproduce_{paper}.ipynb", overrides, tmp_path, kernel)
    text = (tmp_path / "reproduce" / paper / "report.md").read_text()
    assert "## Against the paper" in text and "**Conditions differ" in text
    assert f"evaluation: {dataset}, test split" in text
    assert _displayed(notebook, "text/markdown") == [text]
    shown = _displayed(notebook, "image/png")
    assert len(shown) == 1 and any(shown[0] == path.read_bytes()
                                   for path in (tmp_path / "reproduce" / paper).rglob("*.png"))
    printed = _printed(notebook)
    assert "trained now: [" in printed and f"reproduce/{paper}/report.md\n" in printed
    assert not (tmp_path / "content").exists()  # no Drive path outside Colab
