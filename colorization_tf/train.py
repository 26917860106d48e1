"""``python -m colorization_tf.train``: runs :mod:`colorization_tf.commands.train`."""

from colorization_tf.commands.train import __doc__, run  # noqa: F401 (--help shows the doc)

if __name__ == "__main__":
    run()
