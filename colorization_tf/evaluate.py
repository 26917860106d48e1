"""``python -m colorization_tf.evaluate``: runs :mod:`colorization_tf.commands.evaluate`."""

from colorization_tf.commands.evaluate import __doc__, run  # noqa: F401 (--help shows the doc)

if __name__ == "__main__":
    run()
