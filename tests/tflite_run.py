"""Running an exported TFLite file in the tests (what a TFLite user writes; not package
code): inputs fed by name, ``lightness`` and, for a hint run, ``hint_ab``, ``hint_mask``,
``hint_global``."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def run_tflite(path: str, lightness: np.ndarray, **hints: np.ndarray) -> np.ndarray:
    """The file's output for ``lightness`` ``[1,S,S,1]`` (and the hint inputs)."""
    interpreter = tf.lite.Interpreter(model_path=path)
    interpreter.allocate_tensors()
    inputs = {"lightness": lightness, **hints}
    details = interpreter.get_input_details()
    for detail in details:
        # names look like "serving_default_hint_ab:0"; longest key first (hint_ab != ab)
        key = next((k for k in sorted(inputs, key=len, reverse=True) if k in detail["name"]),
                   None) if len(details) > 1 else "lightness"
        if key is None:
            raise ValueError(f"{path}: input {detail['name']} needs a value")
        interpreter.set_tensor(detail["index"], np.asarray(inputs[key], np.float32))
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
