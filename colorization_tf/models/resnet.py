"""ResNet-18 body (He et al. 2016) without its classifier: Sarkar et al.'s frozen feature path.

Written here rather than taken from keras_hub, which pulls in tensorflow-text, tokenizers,
sentencepiece and the Kaggle / Hugging Face hubs for one backbone. The layout follows
torchvision's ``resnet18`` (explicit zero padding, batch-norm epsilon 1e-5, no conv
biases) so its ImageNet checkpoint loads weight for weight, without PyTorch installed.
"""

from __future__ import annotations

import pickle
import zipfile

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from colorization_tf.models import backbones

# torchvision's IMAGENET1K_V1 ResNet-18 (69.76% top-1), the zip-format re-upload.
IMAGENET_URL = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
IMAGENET_FILE = "resnet18-f37072fd.pth"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
STAGE_FILTERS = (64, 128, 256, 512)
BLOCKS_PER_STAGE = 2
OUTPUT_STRIDE = 32
BN_EPSILON = 1e-5  # PyTorch's default, which the ImageNet statistics were computed with


def _kaiming_normal() -> keras.initializers.Initializer:
    """torchvision's conv init (He normal, fan out); a fresh instance per layer, since one
    unseeded Keras initializer instance repeats the same values."""
    return keras.initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal")


def preprocess_input(rgb: tf.Tensor) -> tf.Tensor:
    """sRGB in [0, 1] ``[...,3]`` -> the ImageNet-normalised input the weights expect."""
    rgb = tf.convert_to_tensor(rgb)
    mean = tf.constant(IMAGENET_MEAN, rgb.dtype)
    std = tf.constant(IMAGENET_STD, rgb.dtype)
    return (rgb - mean) / std


def _conv(filters: int, size: int, stride: int, name: str) -> layers.Conv2D:
    return layers.Conv2D(filters, size, stride, padding="valid", use_bias=False,
                         kernel_initializer=_kaiming_normal(), name=name)


def _batch_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.9, name=name)


@keras.saving.register_keras_serializable("colorization_tf")
class BasicBlock(layers.Layer):
    """Two 3x3 convolutions with batch norm and a residual connection; ``projection``
    adds the 1x1 strided convolution + batch norm shortcut that changes width or size."""

    def __init__(self, filters: int, stride: int = 1, projection: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.stride = int(stride)
        self.projection = bool(projection)
        self.pad1 = layers.ZeroPadding2D(1)
        self.conv1 = _conv(self.filters, 3, self.stride, "conv1")
        self.bn1 = _batch_norm("bn1")
        self.pad2 = layers.ZeroPadding2D(1)
        self.conv2 = _conv(self.filters, 3, 1, "conv2")
        self.bn2 = _batch_norm("bn2")
        self.downsample_conv = self.downsample_bn = None
        if self.projection:
            self.downsample_conv = _conv(self.filters, 1, self.stride, "downsample_conv")
            self.downsample_bn = _batch_norm("downsample_bn")

    def call(self, x, training=False):
        shortcut = x
        if self.projection:
            shortcut = self.downsample_bn(self.downsample_conv(x), training=training)
        y = keras.ops.relu(self.bn1(self.conv1(self.pad1(x)), training=training))
        y = self.bn2(self.conv2(self.pad2(y)), training=training)
        return keras.ops.relu(y + shortcut)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "stride": self.stride,
                "projection": self.projection}


@keras.saving.register_keras_serializable("colorization_tf")
class ResNet18(keras.Model):
    """ImageNet-normalised RGB ``[B,H,W,3]`` (see :func:`preprocess_input`) ->
    ``[B,H/32,W/32,512]`` features: conv1 7x7/2 + 3x3/2 max pool, then four stages of two
    BasicBlocks (64-128-256-512 filters, stride 1-2-2-2). 11,176,512 trainable parameters
    (torchvision's 11,689,512 minus the 513,000 of the classifier) plus 9,600 batch-norm
    moving statistics.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stem_pad = layers.ZeroPadding2D(3)
        self.conv1 = _conv(STAGE_FILTERS[0], 7, 2, "conv1")
        self.bn1 = _batch_norm("bn1")
        # Zero padding before the pool equals PyTorch's -inf padding: inputs are post-ReLU.
        self.pool_pad = layers.ZeroPadding2D(1)
        self.pool = layers.MaxPooling2D(3, 2)
        # One flat list: Keras does not save layers nested in a list of lists.
        self.blocks = [
            BasicBlock(filters, stride=2 if stage > 0 and block == 0 else 1,
                       projection=stage > 0 and block == 0, name=f"layer{stage + 1}_{block}")
            for stage, filters in enumerate(STAGE_FILTERS) for block in range(BLOCKS_PER_STAGE)]

    def call(self, x, training=False):
        x = keras.ops.relu(self.bn1(self.conv1(self.stem_pad(x)), training=training))
        x = self.pool(self.pool_pad(x))
        for block in self.blocks:
            x = block(x, training=training)
        return x

    def get_config(self):
        return super().get_config()


def _ensure_built(model: keras.Model) -> None:
    if not model.built or not model.weights:
        model(tf.zeros([1, OUTPUT_STRIDE, OUTPUT_STRIDE, 3]))


class _StateDictUnpickler(pickle.Unpickler):
    """Reads a PyTorch zip checkpoint's ``data.pkl`` as numpy arrays without torch; only
    ordered dicts, tensors and storages are allowed, so no code in the file runs."""

    DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64,
              "HalfStorage": np.float16, "LongStorage": np.int64, "IntStorage": np.int32,
              "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
              "BoolStorage": np.bool_}

    def __init__(self, file, archive: zipfile.ZipFile, prefix: str):
        super().__init__(file)
        self.archive = archive
        self.prefix = prefix

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            import collections

            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return self._rebuild_tensor
        if (module, name) == ("torch._utils", "_rebuild_parameter"):
            return lambda data, requires_grad, hooks: data
        if module == "torch" and name in self.DTYPES:
            return np.dtype(self.DTYPES[name])
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a weights file")

    def persistent_load(self, pid):
        _, dtype, key, _, numel = pid[:5]
        raw = self.archive.read(f"{self.prefix}data/{key}")
        return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"), count=numel)

    @staticmethod
    def _rebuild_tensor(storage, offset, size, stride, *unused):
        item = storage.itemsize
        return np.lib.stride_tricks.as_strided(
            storage[offset:], shape=tuple(size), strides=tuple(s * item for s in stride)).copy()


def read_torch_state_dict(path: str) -> dict[str, np.ndarray]:
    """The tensors of a PyTorch zip-format checkpoint (``torch.save`` >= 1.6) by name."""
    with zipfile.ZipFile(path) as archive:
        pickles = [name for name in archive.namelist() if name.endswith("data.pkl")]
        if len(pickles) != 1:
            raise ValueError(f"{path}: not a PyTorch zip checkpoint (no single data.pkl)")
        prefix = pickles[0][:-len("data.pkl")]
        with archive.open(pickles[0]) as file:
            return dict(_StateDictUnpickler(file, archive, prefix).load())


def assign_torchvision_weights(model: ResNet18, state: dict[str, np.ndarray]) -> None:
    """Copies torchvision ``resnet18`` weights (``state_dict`` names) into ``model``; the
    ``fc`` classifier and ``num_batches_tracked`` counters are ignored."""
    _ensure_built(model)

    def conv(layer: layers.Conv2D, name: str) -> None:  # OIHW -> HWIO
        layer.kernel.assign(np.transpose(state[f"{name}.weight"], (2, 3, 1, 0)))

    def batch_norm(layer: layers.BatchNormalization, name: str) -> None:
        for variable, key in ((layer.gamma, "weight"), (layer.beta, "bias"),
                              (layer.moving_mean, "running_mean"),
                              (layer.moving_variance, "running_var")):
            variable.assign(state[f"{name}.{key}"])

    try:
        conv(model.conv1, "conv1")
        batch_norm(model.bn1, "bn1")
        for index, block in enumerate(model.blocks):
            stage, position = divmod(index, BLOCKS_PER_STAGE)
            name = f"layer{stage + 1}.{position}"
            conv(block.conv1, f"{name}.conv1")
            batch_norm(block.bn1, f"{name}.bn1")
            conv(block.conv2, f"{name}.conv2")
            batch_norm(block.bn2, f"{name}.bn2")
            if block.projection:
                conv(block.downsample_conv, f"{name}.downsample.0")
                batch_norm(block.downsample_bn, f"{name}.downsample.1")
    except (KeyError, ValueError) as error:
        raise ValueError(f"not torchvision resnet18 weights: {error}") from None


def load_backbone_weights(model: ResNet18, weights: str) -> None:
    """Applies ``--backbone_weights`` to ``model``: ``none`` keeps the random init,
    ``imagenet`` downloads torchvision's checkpoint (failing fast offline), a PATH loads a
    Keras weights file saved from a ResNet18."""
    choice = backbones.resolve_weights(weights, "ResNet-18")
    if choice == "none":
        return
    _ensure_built(model)
    if choice == "imagenet":
        path = backbones.download(IMAGENET_URL, IMAGENET_FILE, "ResNet-18")
        try:
            state = read_torch_state_dict(path)
            assign_torchvision_weights(model, state)
        except (ValueError, OSError, zipfile.BadZipFile, pickle.UnpicklingError) as error:
            raise ValueError(f"{backbones.FLAG}=imagenet: {path}: {error}") from None
        return
    backbones.load_weights_file(model, choice, "ResNet-18")
