"""Exporting a trained run for use outside this package: a SavedModel (TF Serving, TF.js,
any Python with TensorFlow), TFLite files of the network, ONNX when tf2onnx is installed,
and ``manifest.json`` saying what each file expects.

SavedModel signatures (everything inside the graph, so no package code is needed):

* ``serving_default(image)``: uint8 ``[H,W,3]`` or ``[H,W,1]`` (any size) -> ``{"image":
  uint8 [H,W,3]}``: to 16-bit codes, L at the render size, the network and its decoder,
  ab upsampled and clipped, joined with the full-resolution L (``colorize``'s path exactly:
  :func:`full_resolution.recombine`);
* ``colorize_bytes(image_bytes)``: JPEG/PNG/GIF/BMP bytes -> ``{"png": PNG bytes}``
  (EXIF orientation is not applied: TensorFlow's decoders ignore it);
* ``network(lightness)``: scaled L ``[B,S,S,1]`` -> scaled ab ``[B,S,S,2]`` (decoded).

Learned-hints runs (``unet_hints``, ``unet_hints_global``; Zhang et al. 2017) add:

* ``colorize_with_hints(image uint8 [H,W,C], hint_ab float32 [S,S,2], hint_mask float32
  [S,S,1])`` (plus ``hint_global float32 [Q+2]`` for the global variant) -> ``{"image":
  uint8 [H,W,3]}``: the hint maps at the render size ``S`` (the manifest's
  ``render_size``), in the model's ab scaling, 0 / 1 mask: exactly what
  ``inference.hints.rasterize(hints, (H, W), (S, S))`` gives, the maps the command line,
  the editor and ``Predictor.colorize_rgb`` feed the network (``inference.hinted``);
* ``network_with_hints(lightness, hint_ab, hint_mask[, hint_global])`` at the render size.

Their TFLite and ONNX files take the same network inputs (L, hint_ab, hint_mask[,
hint_global]); ``serving_default`` and ``network`` colorize without hints.

Classification runs export with their decoder at a temperature fixed at export time, so
every format returns colours, never bin probabilities.
"""

from __future__ import annotations

import os

import tensorflow as tf
from tensorflow.python.framework import convert_to_constants

import colorization_tf
from colorization_tf import color, files
from colorization_tf.color.global_hint import global_hint_size
from colorization_tf.inference import full_resolution

FORMATS = ("saved_model", "tflite", "onnx")
SAVED_MODEL_DIR = "saved_model"
TFLITE_FILE, TFLITE_FLOAT16_FILE = "model.tflite", "model_float16.tflite"
ONNX_FILE = "model.onnx"
ONNX_OPSET = 17


class ExportError(ValueError):
    """A format that cannot be produced here (one line, naming the format)."""


class ColorizeModule(tf.Module):
    """The exportable module: the colorizer's variables and the three graph functions."""

    def __init__(self, predictor, render_size: int | None = None):
        super().__init__(name="colorizer")
        self.colorizer = predictor.colorizer  # tracked: its variables are saved
        self._predictor_network = predictor.network  # decoder, extra features (edges)
        self.image_size = int(predictor.image_size)
        self.render_size = full_resolution.render_size(render_size, predictor.image_size)
        self.decode = predictor.decode
        self.temperature = predictor.temperature
        size = self.render_size
        self.network = tf.function(self._network, input_signature=[
            tf.TensorSpec([None, size, size, 1], tf.float32, name="lightness")])
        self.colorize = tf.function(self._colorize, input_signature=[
            tf.TensorSpec([None, None, None], tf.uint8, name="image")])
        self.colorize_bytes = tf.function(self._colorize_bytes, input_signature=[
            tf.TensorSpec([], tf.string, name="image_bytes")])
        # Learned-hints runs: the hint inputs (names -> shapes after the batch/image axes).
        self.hint_inputs = {key: shape for key, shape in (
            ("hint_ab", [2]), ("hint_mask", [1]), ("hint_global", None))
            if key in predictor.colorizer.FEATURES}
        if self.hint_inputs:
            self.network_with_hints = tf.function(
                self._network_with_hints, input_signature=self.network_specs(None))
            image_specs = [tf.TensorSpec([None, None, None], tf.uint8, name="image")] + [
                tf.TensorSpec([size, size] + shape if shape else [self.global_size],
                              tf.float32, name=key) for key, shape in self.hint_inputs.items()]
            self.colorize_with_hints = tf.function(self._colorize_with_hints,
                                                   input_signature=image_specs)

    @property
    def global_size(self) -> int:
        return global_hint_size()

    def network_specs(self, batch: int | None) -> list[tf.TensorSpec]:
        """Input specs of the network: L, then the hint inputs the run reads."""
        size = self.render_size
        specs = [tf.TensorSpec([batch, size, size, 1], tf.float32, name="lightness")]
        for key, shape in self.hint_inputs.items():
            specs.append(tf.TensorSpec([batch, size, size] + shape if shape else
                                       [batch, self.global_size], tf.float32, name=key))
        return specs

    def _network(self, lightness: tf.Tensor) -> tf.Tensor:
        return self._predictor_network(lightness)

    def _network_with_hints(self, lightness: tf.Tensor, *hints: tf.Tensor) -> tf.Tensor:
        return self._predictor_network(lightness, **dict(zip(self.hint_inputs, hints, strict=True)))

    def _codes(self, image: tf.Tensor) -> tf.Tensor:
        image = tf.cond(tf.shape(image)[-1] == 1, lambda: tf.tile(image, [1, 1, 3]),
                        lambda: image[..., :3])
        return full_resolution.to_uint16(tf.ensure_shape(image, [None, None, 3]))

    def _colorize(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        codes = self._codes(image)
        lightness = full_resolution.model_input(codes, self.render_size)
        ab = self._network(lightness[None])[0]
        return {"image": full_resolution.recombine(codes, ab)}

    def _colorize_with_hints(self, image: tf.Tensor, hint_ab: tf.Tensor, hint_mask: tf.Tensor,
                             hint_global: tf.Tensor | None = None) -> dict[str, tf.Tensor]:
        codes = self._codes(image)
        lightness = full_resolution.model_input(codes, self.render_size)
        hints = [hint_ab[None], hint_mask[None]] + ([hint_global[None]]
                                                    if hint_global is not None else [])
        ab = self._network_with_hints(lightness[None], *hints)[0]
        return {"image": full_resolution.recombine(codes, ab)}

    def _colorize_bytes(self, image_bytes: tf.Tensor) -> dict[str, tf.Tensor]:
        image = tf.io.decode_image(image_bytes, channels=3, expand_animations=False)
        return {"png": tf.io.encode_png(self._colorize(image)["image"])}


def export(predictor, out: str, formats: tuple[str, ...] = ("saved_model", "tflite"), *,
           render_size: int | None = None, float16: bool = True) -> dict:
    """Writes the ``formats`` of ``predictor`` into ``out`` (created; existing files of the
    same names are replaced atomically) and ``manifest.json``; returns the manifest."""
    unknown = [name for name in formats if name not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"--formats must be a subset of {','.join(FORMATS)}, got "
                         f"{','.join(formats) or 'nothing'}")
    files.require_directory_path(out, "--out")
    if "onnx" in formats:
        _require_tf2onnx()
    module = ColorizeModule(predictor, render_size)
    os.makedirs(out, exist_ok=True)
    written = {}
    if "saved_model" in formats:
        written["saved_model"] = save_saved_model(module, os.path.join(out, SAVED_MODEL_DIR))
    if "tflite" in formats:
        written["tflite"] = save_tflite(module, out, float16)
    if "onnx" in formats:
        written["onnx"] = save_onnx(module, os.path.join(out, ONNX_FILE))
    manifest = describe(predictor, module, written)
    files.write_json(os.path.join(out, "manifest.json"), manifest)
    return manifest


def save_saved_model(module: ColorizeModule, path: str) -> dict:
    """The SavedModel with ``serving_default``, ``colorize_bytes`` and ``network``."""
    signatures = {"serving_default": module.colorize.get_concrete_function(),
                  "colorize_bytes": module.colorize_bytes.get_concrete_function(),
                  "network": module.network.get_concrete_function()}
    described = {
        "serving_default": "image uint8 [H,W,3|1] -> image uint8 [H,W,3]",
        "colorize_bytes": "image_bytes string (JPEG/PNG) -> png string",
        "network": "lightness float32 [B,S,S,1] in [-1,1] -> output_0 float32 [B,S,S,2]"}
    if module.hint_inputs:
        signatures["colorize_with_hints"] = module.colorize_with_hints.get_concrete_function()
        signatures["network_with_hints"] = module.network_with_hints.get_concrete_function()
        glob = f", hint_global float32 [{module.global_size}]" if \
            "hint_global" in module.hint_inputs else ""
        size = module.render_size
        described["colorize_with_hints"] = (
            f"image uint8 [H,W,3|1], hint_ab float32 [{size},{size},2] (scaled ab, 0 where "
            f"unhinted), hint_mask float32 [{size},{size},1] in {{0,1}}{glob} (the maps of "
            "colorization_tf.inference.hints.rasterize at the render size) -> image uint8 "
            "[H,W,3]")
        described["network_with_hints"] = (
            "lightness [B,S,S,1], hint_ab [B,S,S,2], hint_mask [B,S,S,1]"
            + (f", hint_global [B,{module.global_size}]" if glob else "")
            + " float32 -> output_0 float32 [B,S,S,2]")
    with files.atomic_directory(path) as tmp:
        tf.saved_model.save(module, tmp, signatures=signatures)
    return {"path": os.path.basename(path), "signatures": described}


def tflite_bytes(module: ColorizeModule, float16: bool = False) -> bytes:
    """The network (L ``[1,S,S,1]`` and, for hint runs, the hint inputs -> decoded ab
    ``[1,S,S,2]``) as a TFLite flatbuffer."""
    network = module._network_with_hints if module.hint_inputs else module._network
    function = tf.function(network).get_concrete_function(*module.network_specs(1))
    # Freeze first: the converter would otherwise keep the Keras variables as TFLite
    # resource variables that nothing initialises (READ_VARIABLE -> NaN).
    frozen = convert_to_constants.convert_variables_to_constants_v2(function)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    if float16:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def save_tflite(module: ColorizeModule, out: str, float16: bool) -> dict:
    names = {"float32": TFLITE_FILE} | ({"float16": TFLITE_FLOAT16_FILE} if float16 else {})
    for kind, name in names.items():
        content = tflite_bytes(module, float16=kind == "float16")
        with files.atomic_path(os.path.join(out, name)) as tmp, open(tmp, "wb") as handle:
            handle.write(content)
    return {"files": names, "input": f"lightness float32 [1,{module.render_size},"
            f"{module.render_size},1] in [-1,1]", "output": "ab float32 [1,S,S,2] in [-1,1]",
            **_hint_inputs(module, "1")}


def _hint_inputs(module: ColorizeModule, batch: str) -> dict:
    """manifest entry naming the hint inputs of a learned-hints network (else nothing)."""
    if not module.hint_inputs:
        return {}
    size = module.render_size
    shapes = {"hint_ab": f"[{batch},{size},{size},2]", "hint_mask": f"[{batch},{size},{size},1]",
              "hint_global": f"[{batch},{module.global_size}]"}
    return {"hint_inputs": {key: f"float32 {shapes[key]}" for key in module.hint_inputs}}


def _require_tf2onnx():
    try:
        import tf2onnx  # noqa: F401
    except ImportError as err:
        raise ExportError("--formats=onnx needs tf2onnx and onnxruntime: pip install "
                          f"'colorization_tf[export]' ({err})") from None


def save_onnx(module: ColorizeModule, path: str) -> dict:
    """The network (L -> decoded ab, batch of any size) through tf2onnx."""
    import tf2onnx

    size = module.render_size
    spec = tuple(module.network_specs(None))
    function = tf.function(module._network_with_hints if module.hint_inputs
                           else module._network)
    try:
        with files.atomic_path(path) as tmp:
            tf2onnx.convert.from_function(function, input_signature=spec, opset=ONNX_OPSET,
                                          output_path=tmp)
    except Exception as err:  # tf2onnx raises anything; the CLI needs one line
        raise ExportError(f"--formats=onnx: tf2onnx {tf2onnx.__version__} cannot convert "
                          f"this model with TensorFlow {tf.__version__}: "
                          f"{str(err).splitlines()[0] if str(err) else type(err).__name__}"
                          ) from err
    return {"file": os.path.basename(path), "opset": ONNX_OPSET,
            "input": f"lightness float32 [B,{size},{size},1] in [-1,1]",
            "output": "ab float32 [B,S,S,2] in [-1,1]", **_hint_inputs(module, "B")}


def describe(predictor, module: ColorizeModule, written: dict) -> dict:
    """manifest.json: what was exported and how to feed it."""
    config = predictor.config
    method = config.method if config is not None else None
    decoder = None
    if hasattr(module.colorizer, "decode_method"):
        decoder = {"method": module.decode or module.colorizer.decode_method,
                   "temperature": float(module.temperature if module.temperature is not None
                                        else module.colorizer.temperature)}
    return {
        "run": predictor.name,
        "preset": getattr(config, "preset", None),
        "method": getattr(method, "name", None),
        "image_size": module.image_size,
        "render_size": module.render_size,
        "lab_scaling": {"L": f"(L - {color.L_CENTER:g}) / {color.L_HALF_RANGE:g}",
                        "ab": f"(ab + {color.AB_OFFSET:g}) / {color.AB_HALF_RANGE:g}",
                        "white": "D65", "rgb": "sRGB"},
        "decoder": decoder,
        "package_version": colorization_tf.__version__,
        "tensorflow_version": tf.__version__,
        "formats": written,
    }


__all__ = ["ColorizeModule", "ExportError", "FORMATS", "export"]
