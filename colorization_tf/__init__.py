"""colorization_tf: grayscale image colorization with TensorFlow/Keras."""

__version__ = "0.1.0"
