"""ResNet-18 body: size, PyTorch-equivalent numerics, and the --backbone_weights choices."""

from __future__ import annotations

import collections
import pickle
import socket
import sys
import time
import types
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from numpy.lib.stride_tricks import sliding_window_view

from colorization_tf.models import backbones, resnet

# torchvision.models.resnet18(): 11,689,512 parameters; its fc layer 512 * 1000 + 1000.
TORCHVISION_RESNET18 = 11_689_512
TORCHVISION_FC = 513_000


def _param_count(variables) -> int:
    return sum(int(np.prod(v.shape)) for v in variables)


def _built(seed: int = 0) -> resnet.ResNet18:
    keras.utils.set_random_seed(seed)
    model = resnet.ResNet18()
    model(tf.zeros([1, 32, 32, 3]))
    return model


def test_parameter_count_and_output_shape():
    model = _built()
    assert _param_count(model.trainable_weights) == TORCHVISION_RESNET18 - TORCHVISION_FC
    assert _param_count(model.trainable_weights) == 11_176_512
    assert _param_count(model.non_trainable_weights) == 2 * 4800  # BN moving mean / var
    assert model(tf.zeros([2, 64, 64, 3])).shape == (2, 2, 2, 512)
    assert model(tf.zeros([1, 96, 160, 3])).shape == (1, 3, 5, 512)
    clone = resnet.ResNet18.from_config(model.get_config())
    clone(tf.zeros([1, 32, 32, 3]))
    assert clone.count_params() == model.count_params()


def test_preprocess_input_is_imagenet_normalisation():
    rgb = tf.constant([[[0.485, 0.456, 0.406], [1.0, 0.0, 0.5]]])
    expected = (np.array([[[0.485, 0.456, 0.406], [1.0, 0.0, 0.5]]]) - resnet.IMAGENET_MEAN) \
        / resnet.IMAGENET_STD
    np.testing.assert_allclose(resnet.preprocess_input(rgb).numpy(), expected, rtol=1e-6)


# --- A numpy ResNet-18 in PyTorch's conventions (NCHW weights, symmetric padding), the
# --- reference for both the architecture and the torchvision weight mapping.

def _torch_conv(x, weight, stride, padding):
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    size = weight.shape[-1]
    windows = sliding_window_view(x, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("nhwcij,ocij->nhwo", windows, weight)


def _torch_bn(x, state, name):
    scale = state[f"{name}.weight"] / np.sqrt(state[f"{name}.running_var"] + 1e-5)
    return (x - state[f"{name}.running_mean"]) * scale + state[f"{name}.bias"]


def _torch_resnet18(x, state):
    relu = lambda t: np.maximum(t, 0.0)  # noqa: E731
    x = relu(_torch_bn(_torch_conv(x, state["conv1.weight"], 2, 3), state, "bn1"))
    x = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    x = sliding_window_view(x, (3, 3), axis=(1, 2))[:, ::2, ::2].max(axis=(-2, -1))
    for stage in range(4):
        for block in range(2):
            name = f"layer{stage + 1}.{block}"
            stride = 2 if stage > 0 and block == 0 else 1
            y = relu(_torch_bn(_torch_conv(x, state[f"{name}.conv1.weight"], stride, 1),
                               state, f"{name}.bn1"))
            y = _torch_bn(_torch_conv(y, state[f"{name}.conv2.weight"], 1, 1), state,
                          f"{name}.bn2")
            if f"{name}.downsample.0.weight" in state:
                x = _torch_bn(_torch_conv(x, state[f"{name}.downsample.0.weight"], stride, 0),
                              state, f"{name}.downsample.1")
            x = relu(y + x)
    return x


def _torchvision_state(seed: int = 1) -> dict[str, np.ndarray]:
    """Random weights under torchvision resnet18's state_dict names and shapes."""
    rng = np.random.default_rng(seed)
    state = {}

    def conv(name, out_channels, in_channels, size):
        fan_in = in_channels * size * size
        state[f"{name}.weight"] = (rng.standard_normal((out_channels, in_channels, size, size))
                                   * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def bn(name, channels):
        state[f"{name}.weight"] = rng.uniform(0.5, 1.5, channels).astype(np.float32)
        state[f"{name}.bias"] = rng.uniform(-0.2, 0.2, channels).astype(np.float32)
        state[f"{name}.running_mean"] = rng.uniform(-0.5, 0.5, channels).astype(np.float32)
        state[f"{name}.running_var"] = rng.uniform(0.5, 2.0, channels).astype(np.float32)
        state[f"{name}.num_batches_tracked"] = np.array(100, np.int64)

    conv("conv1", 64, 3, 7)
    bn("bn1", 64)
    channels = 64
    for stage, width in enumerate((64, 128, 256, 512)):
        for block in range(2):
            name = f"layer{stage + 1}.{block}"
            conv(f"{name}.conv1", width, channels if block == 0 else width, 3)
            bn(f"{name}.bn1", width)
            conv(f"{name}.conv2", width, width, 3)
            bn(f"{name}.bn2", width)
            if stage > 0 and block == 0:
                conv(f"{name}.downsample.0", width, channels, 1)
                bn(f"{name}.downsample.1", width)
        channels = width
    state["fc.weight"] = rng.standard_normal((1000, 512)).astype(np.float32)
    state["fc.bias"] = np.zeros(1000, np.float32)
    return state


def _write_torch_checkpoint(state: dict[str, np.ndarray], path, monkeypatch) -> None:
    """Writes ``state`` as ``torch.save`` does (zip archive, data.pkl with persistent
    storage ids, raw little-endian storages), with torch if installed, else by hand."""
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.save(collections.OrderedDict(
            (k, torch.from_numpy(np.ascontiguousarray(v))) for k, v in state.items()), path)
        return
    fake_torch = types.ModuleType("torch")
    fake_utils = types.ModuleType("torch._utils")
    storage_types = {np.dtype(np.float32): "FloatStorage", np.dtype(np.int64): "LongStorage"}
    for name in storage_types.values():
        setattr(fake_torch, name, type(name, (), {"__module__": "torch"}))

    def _rebuild_tensor_v2(*args):
        raise AssertionError("only pickled, never called")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    fake_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    monkeypatch.setitem(sys.modules, "torch._utils", fake_utils)

    class Storage:
        def __init__(self, key, array):
            self.key, self.array = key, array

    class Tensor:
        def __init__(self, storage):
            self.storage = storage

        def __reduce__(self):
            array = self.storage.array
            stride = tuple(s // array.itemsize for s in array.strides)
            return (_rebuild_tensor_v2, (self.storage, 0, array.shape, stride, False,
                                         collections.OrderedDict()))

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                storage_type = getattr(fake_torch, storage_types[obj.array.dtype])
                return ("storage", storage_type, obj.key, "cpu", obj.array.size)
            return None

    storages = {str(i): np.ascontiguousarray(v) for i, v in enumerate(state.values())}
    tensors = collections.OrderedDict(
        (name, Tensor(Storage(key, storages[key])))
        for name, key in zip(state, storages, strict=True))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        with archive.open("resnet18/data.pkl", "w") as file:
            Pickler(file, protocol=2).dump(tensors)
        for key, array in storages.items():
            archive.writestr(f"resnet18/data/{key}", array.astype(array.dtype.newbyteorder(
                "<")).tobytes())
        archive.writestr("resnet18/version", "3\n")


def test_torchvision_checkpoint_loads_and_matches_a_pytorch_style_reference(
        tmp_path, monkeypatch):
    state = _torchvision_state()
    checkpoint = tmp_path / "resnet18-f37072fd.pth"
    _write_torch_checkpoint(state, checkpoint, monkeypatch)
    read = resnet.read_torch_state_dict(str(checkpoint))
    assert set(read) == set(state)
    np.testing.assert_array_equal(read["layer2.0.downsample.0.weight"],
                                  state["layer2.0.downsample.0.weight"])

    # 'imagenet' goes through the download path, served here from the local checkpoint.
    monkeypatch.setattr(backbones, "download", lambda url, fname, network, **kw: (
        str(checkpoint) if url == resnet.IMAGENET_URL else None))
    model = _built()
    resnet.load_backbone_weights(model, "imagenet")
    np.testing.assert_array_equal(model.conv1.kernel.numpy(),
                                  state["conv1.weight"].transpose(2, 3, 1, 0))
    image = np.random.default_rng(2).uniform(-2, 2, (2, 48, 48, 3)).astype(np.float32)
    expected = _torch_resnet18(image.astype(np.float64), state)
    assert expected.shape == (2, 2, 2, 512)
    np.testing.assert_allclose(model(image).numpy(), expected, rtol=1e-3, atol=1e-3)


def test_wrong_checkpoint_is_a_clear_error(tmp_path, monkeypatch):
    checkpoint = tmp_path / "other.pth"
    state = {"conv1.weight": np.zeros((64, 3, 7, 7), np.float32)}
    _write_torch_checkpoint(state, checkpoint, monkeypatch)
    monkeypatch.setattr(backbones, "download", lambda *a, **k: str(checkpoint))
    with pytest.raises(ValueError, match="--backbone_weights=imagenet.*resnet18"):
        resnet.load_backbone_weights(_built(), "imagenet")


def test_none_keeps_random_init_and_a_local_file_round_trips(tmp_path):
    source, target = _built(seed=0), _built(seed=1)
    before = [w.numpy() for w in target.weights]
    resnet.load_backbone_weights(target, "none")
    for old, new in zip(before, target.weights, strict=True):
        np.testing.assert_array_equal(old, new.numpy())
    image = tf.random.uniform([2, 64, 64, 3], seed=3)
    assert not np.allclose(source(image).numpy(), target(image).numpy())
    path = tmp_path / "resnet18.weights.h5"
    source.save_weights(str(path))
    fresh = resnet.ResNet18()  # unbuilt: load_backbone_weights builds it
    resnet.load_backbone_weights(fresh, str(path))
    np.testing.assert_array_equal(source(image).numpy(), fresh(image).numpy())


def test_missing_or_foreign_file_names_the_flag(tmp_path):
    missing = tmp_path / "nope.weights.h5"
    with pytest.raises(ValueError, match=f"--backbone_weights.*{missing}"):
        resnet.load_backbone_weights(_built(), str(missing))
    text = tmp_path / "weights.txt"
    text.write_text("not weights")
    with pytest.raises(ValueError, match="--backbone_weights"):
        resnet.load_backbone_weights(_built(), str(text))
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    foreign = tmp_path / "dense.weights.h5"
    other.save_weights(str(foreign))
    with pytest.raises(ValueError, match="--backbone_weights.*not ResNet-18 weights"):
        resnet.load_backbone_weights(_built(), str(foreign))


def test_imagenet_offline_fails_fast_naming_the_flag(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # nothing cached
    monkeypatch.setattr(backbones, "is_reachable", lambda url, timeout=3.0: False)
    start = time.monotonic()
    with pytest.raises(ValueError) as error:
        resnet.load_backbone_weights(resnet.ResNet18(), "imagenet")
    assert time.monotonic() - start < 10.0
    message = str(error.value)
    assert "\n" not in message
    for word in ("--backbone_weights", "none", "PATH", "download.pytorch.org"):
        assert word in message


def test_is_reachable_on_loopback():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        assert backbones.is_reachable(f"http://127.0.0.1:{port}/x", timeout=2.0)
    start = time.monotonic()
    assert not backbones.is_reachable(f"http://127.0.0.1:{port}/x", timeout=2.0)  # closed
    assert time.monotonic() - start < 5.0


@pytest.mark.compiled
def test_compiled_and_xla_forward_match_eager():
    model = _built()
    image = resnet.preprocess_input(tf.random.stateless_uniform([2, 64, 64, 3], (1, 1)))
    eager = model(image).numpy()
    graph = tf.function(lambda x: model(x))(image)
    xla = tf.function(lambda x: model(x), jit_compile=True)(image)
    np.testing.assert_allclose(graph.numpy(), eager, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(xla.numpy(), eager, rtol=1e-3, atol=1e-3)
