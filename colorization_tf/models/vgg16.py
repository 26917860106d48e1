"""Li and Wang's transfer-learning classifier (§4.1.2): VGG16's conv blocks 1-5 replace the
first blocks of the Zhang-style classification network; the gray image enters as RGB."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

from colorization_tf.models import backbones, small_maps
from colorization_tf.models.shapes import check_divisible

# keras.applications' ImageNet VGG16 without the classifier, and its md5.
IMAGENET_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
                "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
IMAGENET_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
IMAGENET_MD5 = "6d6bbae143d832006294945121d1f1fc"
BODY_STRIDE = 32  # five 2x2 max pools
OUTPUT_STRIDE = 4  # logits at a quarter of the input resolution, as ZhangNet


def load_backbone_weights(body: keras.Model, weights: str) -> None:
    """Applies ``--backbone_weights`` to a VGG16 conv body: ``none`` keeps the random init,
    ``imagenet`` downloads Keras' notop weights (failing fast offline), a PATH loads a
    weights file saved from such a body."""
    choice = backbones.resolve_weights(weights, "VGG16")
    if choice == "none":
        return
    if choice == "imagenet":
        choice = backbones.download(IMAGENET_URL, IMAGENET_FILE, "VGG16",
                                    file_hash=IMAGENET_MD5)
    backbones.load_weights_file(body, choice, "VGG16")


@keras.saving.register_keras_serializable("colorization_tf")
class VGG16Zhang(keras.Model):
    """Scaled L ``[B,S,S,1]`` in [-1, 1] -> bin logits ``[B,S/4,S/4,num_bins]`` (float32).

    L*/100 becomes a gray 0-255 RGB image with VGG's ImageNet mean removed
    (``keras.applications.vgg16.preprocess_input``), runs through VGG16's five conv blocks
    (stride 32; ``freeze_backbone`` keeps them fixed), and the paper's block 8 (three 4x4
    stride-2 transposed convolutions of ``head_filters`` with ReLU) brings the features to
    S/4 for a 1x1 convolution to ``num_bins`` logits. S is ``image_size`` (224 in the paper)
    and must be a multiple of 32.
    """

    def __init__(self, num_bins: int = 313, image_size: int = 224, freeze_backbone: bool = False,
                 backbone_weights: str = "none", head_filters: int = 256, **kwargs):
        super().__init__(**kwargs)
        self.num_bins = int(num_bins)
        self.image_size = int(image_size)
        self.freeze_backbone = bool(freeze_backbone)
        self.head_filters = int(head_filters)
        check_divisible("VGG16Zhang", (None, self.image_size, self.image_size), BODY_STRIDE)
        self.body = keras.applications.VGG16(include_top=False, weights=None,
                                             input_shape=(self.image_size, self.image_size, 3))
        load_backbone_weights(self.body, backbone_weights)
        self.body.trainable = not self.freeze_backbone
        self.head = keras.Sequential([
            small_maps.Conv2DTranspose(self.head_filters, 4, 2, padding="same", activation="relu")
            for _ in range(3)], name="conv8")
        self.logits = layers.Conv2D(self.num_bins, 1, name="logits")
        self.out = layers.Activation("linear", dtype="float32")

    @property
    def downsampling(self) -> int:
        """The factor H and W must be divisible by."""
        return BODY_STRIDE

    def build(self, input_shape):
        if tuple(input_shape[1:3]) != (self.image_size, self.image_size):
            raise ValueError(f"VGG16Zhang input size {input_shape[1]}x{input_shape[2]}: this "
                             f"network was built for {self.image_size}x{self.image_size} "
                             "(--image_size)")
        super().build(input_shape)

    @staticmethod
    def preprocess(lightness: tf.Tensor) -> tf.Tensor:
        """Scaled L ``[...,1]`` -> VGG16's input: gray RGB in 0-255, ImageNet mean removed."""
        gray = (tf.cast(lightness, tf.float32) + 1.0) * 127.5  # L* / 100 * 255
        return keras.applications.vgg16.preprocess_input(tf.repeat(gray, 3, axis=-1))

    def call(self, x, training=False):
        features = self.body(self.preprocess(x), training=training)
        return self.out(self.logits(self.head(features, training=training)))

    def get_config(self):
        # Backbone weights travel with the saved model: a reload must not download again.
        return {**super().get_config(), "num_bins": self.num_bins,
                "image_size": self.image_size, "freeze_backbone": self.freeze_backbone,
                "backbone_weights": "none", "head_filters": self.head_filters}
