"""The visual Turing test study and the colorize page (``colorization-web``).

Modules, one job each:
- ``storage``: the SQLite study database (schema, transactions, ``turing_results``).
- ``study``: the protocol: sessions, drawing and judging trials, figures with intervals.
- ``exclusions``: the exclusion rules fixed with a study (attention, straight-lining, speed).
- ``admin``: the experimenter's token; ``limits``: the per-address new-session rate.
- ``images``: the image pool (originals, colorizations, attention checks) cached as PNGs.
- ``uploads``: bounded reading of uploaded photos into integer codes.
- ``app``: the FastAPI server and its pages (``pages/``, static, no build step);
  ``colorize_api``: the colorize editor's endpoints (photo, hints, reference, suggestions).
- ``runs``: the door to the inference and data layers (and TensorFlow), imported when a
  run is loaded; ``editor``: the editor's methods (runs with hints, and Levin et al.
  2004's optimization, which needs no run), through ``runs`` and ``inference``.
- ``__main__``: the command line (``python -m colorization_tf.web``).

Importing any module but ``runs``' functions, ``editor`` and ``__main__`` (the command line, which
loads runs) imports no TensorFlow: ``storage`` and ``study`` need only the standard
library, so ``evaluate`` can read a study database without FastAPI or a server, and the
server and its tests run on fake colorizers without TensorFlow (a test checks this).
"""
