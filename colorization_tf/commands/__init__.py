"""The command-line entry points: one absl module per command (flags beside ``main``,
``main`` parses and calls library functions, ``run`` is the console script).

    colorization-train     commands/train.py     python -m colorization_tf.train
    colorization-evaluate  commands/evaluate.py  python -m colorization_tf.evaluate
    colorization-colorize  commands/colorize.py  python -m colorization_tf.colorize
    colorization-prepare   commands/prepare.py   python -m colorization_tf.prepare
    colorization-export    commands/export.py    python -m colorization_tf.export

Everything else in the package is library code that these modules call (and that tests
and notebooks call directly); ``colorization_tf.cli`` is what every command shares (quiet
start, one-line user errors). The ``python -m colorization_tf.NAME`` forms are kept by
two-line modules at the top of the package that run the command here.
"""
