"""``python -m colorization_tf.colorize``: runs :mod:`colorization_tf.commands.colorize`."""

from colorization_tf.commands.colorize import __doc__, run  # noqa: F401 (--help shows the doc)

if __name__ == "__main__":
    run()
