"""colorization-export: a trained run as files that work without this package.

  python -m colorization_tf.export --run_dir=runs/unet_l1-samples --out=export \\
      [--formats=saved_model,tflite,onnx] [--render_size=N] [--temperature=T]

Writes ``saved_model/`` (signatures ``serving_default``: uint8 image -> uint8 colour image
of the same size, the whole full-resolution colorize path in the graph;
``colorize_bytes``: JPEG/PNG bytes -> PNG bytes; ``network``: L -> ab), ``model.tflite``
and ``model_float16.tflite`` (the network: L [1,S,S,1] -> ab [1,S,S,2]), ``model.onnx``
(needs the ``[export]`` extra) and ``manifest.json`` (run, preset, render size, Lab scaling,
decoder, versions). Classification runs are exported with their decoder (annealed mean at
--temperature, default the run's), so every file returns colours. Learned-hints runs add
``colorize_with_hints`` (the photo plus hint maps at the render size, as
``inference.hints.rasterize`` gives them) and ``network_with_hints``.
"""

from __future__ import annotations

from absl import flags

from colorization_tf import cli, files
from colorization_tf.inference import full_resolution, load_run, serving

FLAGS = flags.FLAGS
flags.DEFINE_string("run_dir", None, "Training run directory (config.json + weights).")
flags.DEFINE_string("out", None, "Export folder (created; files of the same names are "
                    "replaced).")
flags.DEFINE_list("formats", ["saved_model", "tflite"], "Any of saved_model, tflite, onnx.")
flags.DEFINE_integer("render_size", None, "Resolution the network sees in the exported "
                     "graphs; default: the run's image size.")
flags.DEFINE_string("decode", None, "Decoder of classification runs (annealed, mode, mean, "
                    "topk); default: the run's.")
flags.DEFINE_float("temperature", None, "Annealed-mean temperature fixed into the export; "
                   "default: the run's.")
flags.DEFINE_bool("float16", True, "Also write model_float16.tflite (float16 weights).")


def main(argv):
    cli.no_arguments(argv)
    for name in ("run_dir", "out"):
        if not FLAGS[name].value:
            raise ValueError(f"--{name} is required")
    files.require_directory_path(FLAGS.out, "--out")  # bad flags fail before the model loads
    full_resolution.render_size(FLAGS.render_size, 1)
    predictor = load_run(FLAGS.run_dir, FLAGS.decode, FLAGS.temperature)
    manifest = serving.export(predictor, FLAGS.out, tuple(FLAGS.formats),
                             render_size=FLAGS.render_size, float16=FLAGS.float16)
    print(f"{FLAGS.out}: exported {', '.join(manifest['formats'])} of {manifest['run']}")
    return 0


def run():
    cli.run(main, "colorization-export")


if __name__ == "__main__":
    run()
