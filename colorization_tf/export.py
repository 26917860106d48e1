"""``python -m colorization_tf.export``: runs :mod:`colorization_tf.commands.export`."""

from colorization_tf.commands.export import __doc__, run  # noqa: F401 (--help shows the doc)

if __name__ == "__main__":
    run()
