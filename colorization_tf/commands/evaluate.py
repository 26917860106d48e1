"""colorization-evaluate: compare trained runs on one split and write report.md,
metrics.json, comparison.png, loss curves and (classification runs) the decoder comparison.

  python -m colorization_tf.evaluate --run_dirs=runs/a,runs/b --dataset=cifar10 \\
      --split=test --out=reports/cifar10
  python -m colorization_tf.evaluate --train_reference=runs/reference --dataset=cifar10 ...
  python -m colorization_tf.evaluate --run_dirs=runs/unet_l1,runs/cgan --paper=galvao ...
  python -m colorization_tf.evaluate --hints=0,1,2,5,10,20,50 [--run_dirs=...] --out=DIR
"""

from __future__ import annotations

import os

from absl import flags

from colorization_tf import cli, files
from colorization_tf.data import DataConfig
from colorization_tf.evaluation import compare, hint_points, intervals, papers, reference, report

FLAGS = flags.FLAGS
flags.DEFINE_list("run_dirs", [], "Run directories to compare, in report order.")
flags.DEFINE_string("dataset", None, "Dataset to evaluate on (default: each run's own).")
flags.DEFINE_enum("split", "test", ["train", "val", "test"], "Split for every metric.")
flags.DEFINE_string("out", "reports/latest", "Output directory.")
flags.DEFINE_string("decode", None, "Decoder for classification runs (default: theirs).")
flags.DEFINE_float("temperature", None, "Annealed-mean temperature for classification runs.")
flags.DEFINE_integer("max_examples", None, "Use at most N images per split.")
flags.DEFINE_integer("batch_size", 64, "Evaluation batch size.")
flags.DEFINE_integer("num_images", 8, "Images (rows) in comparison.png.")
flags.DEFINE_string("reference", None, "Reference-classifier run directory (Li and Wang's "
                    "accuracy table, Inception-style score, Frechet distance).")
flags.DEFINE_string("train_reference", None, "Train a reference classifier on the colour "
                    "training images of --dataset into this directory, then use it.")
flags.DEFINE_integer("reference_epochs", 10, "Epochs for --train_reference.")
flags.DEFINE_integer("image_size", 32, "Image size for --train_reference.")
flags.DEFINE_string("turing_db", None, "A Turing-test study database (colorization-web): "
                    "adds its accuracy, fooled rate, interval and n to Table 1.")
flags.DEFINE_string("paper", None, "Put this paper's published tables beside the measured "
                    "figures: galvao | li_wang | tran (colorization_tf/evaluation/"
                    "paper_results.json).")
flags.DEFINE_string("inception_weights", None, "Local InceptionV3 weights file (.h5): also "
                    "compute the distribution scores with InceptionV3.")
flags.DEFINE_integer("bootstrap_resamples", intervals.DEFAULT_RESAMPLES, "Bootstrap "
                     "resamples for the 95% confidence interval of every per-image figure and "
                     "for the paired comparisons of runs (seeded: the same evaluation gives "
                     "the same intervals).")
flags.DEFINE_integer("bootstrap_seed", 0, "Seed of the bootstrap resampling.")
flags.DEFINE_string("hints", None, "Also score PSNR and ab MAE against this many points "
                    "revealed from the ground truth (e.g. 0,1,2,5,10,20,50) for "
                    "optimization (Levin et al. 2004) and every run (automatic runs: flat "
                    "lines); without --run_dirs, optimization alone on --dataset.")


def main(argv):
    cli.no_arguments(argv)
    for name in ("max_examples", "batch_size", "num_images", "reference_epochs",
                 "image_size", "bootstrap_resamples"):
        value = FLAGS[name].value
        if value is not None and value < 1:
            raise ValueError(f"--{name}={value}: expected a positive integer")
    if FLAGS.paper:
        papers.get(FLAGS.paper)  # an unknown name fails before any work
    bootstrap = intervals.BootstrapConfig(resamples=FLAGS.bootstrap_resamples,
                                          seed=FLAGS.bootstrap_seed)
    reference_dir = FLAGS.reference
    if FLAGS.train_reference:
        data = DataConfig(dataset=FLAGS.dataset or "samples", image_size=FLAGS.image_size,
                          max_examples=FLAGS.max_examples)
        scores = reference.train_reference(data, FLAGS.train_reference,
                                           epochs=FLAGS.reference_epochs,
                                           batch_size=FLAGS.batch_size)
        print(f"reference classifier: {FLAGS.train_reference} "
              f"(val accuracy {scores['val_accuracy']:.3f})")
        reference_dir = FLAGS.train_reference
    counts = hint_points.parse_counts(FLAGS.hints) if FLAGS.hints is not None else None
    if not FLAGS.run_dirs and counts:
        return _hints_only(counts)
    if not FLAGS.run_dirs:
        if FLAGS.train_reference:
            return
        raise ValueError("--run_dirs: give at least one run directory (comma-separated)")
    found = compare.evaluate_runs(
        FLAGS.run_dirs, FLAGS.dataset, FLAGS.split, batch_size=FLAGS.batch_size,
        max_examples=FLAGS.max_examples, decode=FLAGS.decode,
        temperature=FLAGS.temperature, num_images=FLAGS.num_images,
        reference_dir=reference_dir, inception_weights=FLAGS.inception_weights,
        bootstrap=bootstrap)
    if FLAGS.turing_db:
        from colorization_tf.web.results import turing_results

        found.results["turing"] = turing_results(FLAGS.turing_db)
    written = report.write_outputs(found, FLAGS.out, paper=FLAGS.paper)
    for entry in found.results["runs"]:
        m = entry["metrics"]
        low, high = m["ci"]["mae"]
        interval = f" [{low:.4f}, {high:.4f}]" if low is not None else ""
        print(f"{entry['name']}: MAE {m['mae']:.4f}{interval}, PSNR {m['psnr']:.2f} dB, "
              f"SSIM {m['ssim']:.3f}, CIEDE2000 {m['ciede2000']:.2f}, "
              f"colorfulness {m['colorfulness']:.2f} (ground truth "
              f"{m['colorfulness_true']:.2f}), acc@2% {m['acc_2']:.3f}, "
              f"acc@5% {m['acc_5']:.3f}")
    if counts:
        hinted, section = hint_points.evaluate_with_hints(
            FLAGS.run_dirs, counts, FLAGS.out, dataset=FLAGS.dataset, split=FLAGS.split,
            batch_size=FLAGS.batch_size, max_examples=FLAGS.max_examples)
        with open(written["report"]) as handle:
            files.write_text(written["report"], handle.read() + section
                             + report.hint_intervals(hinted))
        print(hint_points.hints_table(hinted), end="")
    print(f"report: {written['report']}")


def _hints_only(counts):
    """--hints without runs: optimization alone; its table is the whole report."""
    results, section = hint_points.evaluate_with_hints(
        [], counts, FLAGS.out, dataset=FLAGS.dataset, split=FLAGS.split,
        batch_size=FLAGS.batch_size, max_examples=FLAGS.max_examples,
        image_size=FLAGS.image_size)
    path = os.path.join(FLAGS.out, report.REPORT)
    files.write_text(path, "# Evaluation with hints\n" + section + report.hint_intervals(results))
    print(hint_points.hints_table(results), end="")
    print(f"report: {path}")


def run():
    cli.run(main, "colorization-evaluate")


if __name__ == "__main__":
    run()
