"""colorization_tf: grayscale image colorization with TensorFlow/Keras."""

from colorization_tf import cpu as _cpu

# Before anything imports TensorFlow: its oneDNN kernels on every x86 CPU (see cpu.py).
_cpu.enable_onednn()

__version__ = "0.1.0"
