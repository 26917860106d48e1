"""One worker of the two-process MultiWorkerMirroredStrategy test (test_multi_worker.py):

    TF_CONFIG='{"cluster": {"worker": [...]}, "task": {"type": "worker", "index": I}}' \
        python tests/training/multi_worker_main.py RUN_DIR

trains ``config()`` into RUN_DIR on the CPU with ``--strategy=multi_worker``. The strategy
is created first, before any TensorFlow op: collective ops can only be configured while
the eager context is still uninitialised."""

from __future__ import annotations

import os
import sys

os.environ["CUDA_VISIBLE_DEVICES"] = "-1"  # each worker is one CPU replica
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # support

STEPS = 2
EVAL_EXAMPLES = 8


def config(strategy: str):
    """The tiny U-Net run both workers and the single-process reference train: batch 8
    (4 per worker), one epoch of STEPS steps on tiny ``samples``."""
    from support import tiny_config

    return tiny_config(strategy=strategy, steps_per_epoch=STEPS,
                       eval_examples=EVAL_EXAMPLES)


def main(run_dir: str) -> None:
    from colorization_tf import training
    from colorization_tf.training import strategies

    strategy = strategies.make_strategy("multi_worker")  # before any other TF op
    if strategy.num_replicas_in_sync != 2:
        raise SystemExit(f"expected 2 replicas, got {strategy.num_replicas_in_sync}")
    training.train(config("multi_worker"), run_dir, verbose=0)


if __name__ == "__main__":
    main(sys.argv[1])
