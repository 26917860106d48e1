"""The reference classifier behind the semantic-interpretability metric (Li and Wang §4.2):
a small VGG-style CNN on RGB images, standing in for Li and Wang's fine-tuned VGG so the
metric needs no download. Its penultimate features also feed the Frechet distance."""

from __future__ import annotations

import keras
from keras import layers

from colorization_tf.models import batch_norm


@keras.saving.register_keras_serializable("colorization_tf")
class ReferenceClassifier(keras.Model):
    """RGB ``[B,H,W,3]`` in [0, 1] -> class logits ``[B,num_classes]``.

    Blocks of two 3x3 conv + BN + ReLU and a 2x2 max-pool (one block per entry of
    ``filters``), global average pooling, a dense ``feature_dim`` layer (the features the
    Frechet distance compares), dropout, and the linear classifier.
    """

    def __init__(self, num_classes: int, filters=(32, 64, 128), feature_dim: int = 128,
                 dropout: float = 0.3, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)
        self.filters = tuple(int(f) for f in filters)
        self.feature_dim = int(feature_dim)
        self.dropout = float(dropout)
        self.blocks = [keras.Sequential([
            layers.Conv2D(f, 3, padding="same", use_bias=False),
            batch_norm.BatchNormalization(), layers.ReLU(),
            layers.Conv2D(f, 3, padding="same", use_bias=False),
            batch_norm.BatchNormalization(), layers.ReLU(),
            layers.MaxPooling2D(2, padding="same"),
        ], name=f"block{i}") for i, f in enumerate(self.filters)]
        self.pool = layers.GlobalAveragePooling2D()
        self.feature_layer = layers.Dense(self.feature_dim, activation="relu", name="features")
        self.drop = layers.Dropout(self.dropout)
        self.classifier = layers.Dense(self.num_classes, name="logits")

    def features_and_logits(self, rgb, training=False):
        """(penultimate features, logits) for RGB in [0, 1]."""
        x = rgb * 2.0 - 1.0
        for block in self.blocks:
            x = block(x, training=training)
        features = self.feature_layer(self.pool(x))
        return features, self.classifier(self.drop(features, training=training))

    def call(self, rgb, training=False):
        return self.features_and_logits(rgb, training=training)[1]

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "filters": list(self.filters), "feature_dim": self.feature_dim,
                "dropout": self.dropout}
