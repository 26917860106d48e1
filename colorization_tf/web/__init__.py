"""The visual Turing test study and the colorize page (``colorization-web``).

Modules, one job each:
- ``storage``: the SQLite study database (schema, transactions, ``turing_results``).
- ``study``: the protocol: sessions, drawing and judging trials, figures with intervals.
- ``images``: the image pool (originals, colorizations, attention checks) cached as PNGs,
  and the only door to the inference and data layers.
- ``app``: the FastAPI server and its pages (``pages/``, static, no build step).
- ``__main__``: the command line (``python -m colorization_tf.web``).

Importing this package imports nothing heavy: ``storage`` and ``study`` need only the
standard library, so ``evaluate`` can read a study database without FastAPI or a server.
"""
