"""``python -m colorization_tf.prepare``: runs :mod:`colorization_tf.commands.prepare`."""

from colorization_tf.commands.prepare import __doc__, run  # noqa: F401 (--help shows the doc)

if __name__ == "__main__":
    run()
