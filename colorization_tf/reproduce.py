"""``python -m colorization_tf.reproduce``: runs :mod:`colorization_tf.commands.reproduce`."""

from colorization_tf.commands.reproduce import __doc__, run  # noqa: F401 (--help shows the doc)

if __name__ == "__main__":
    run()
