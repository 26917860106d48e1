"""The visual Turing test study and the colorize page (``colorization-web``).

Modules, one job each:
- ``app``: composes the FastAPI server from one router per visitor: ``participant`` (the
  study page, its API, the images of their own trials), ``experimenter`` (the results,
  behind the token of ``admin``) and ``editor_routes`` (the colorize editor, whose
  endpoints ``colorize_api`` defines); ``responses``: error bodies, pages, CSV/PNG
  replies and their OpenAPI declarations; ``options``: how a study is served.
- ``study_config``: a study's protocol (its identity); ``planning``: what a session
  shows and which images each trial draws; ``study``: the service (sessions, drawing and
  judging trials); ``exclusions``: the rules fixed with a study; ``statistics``: shares
  with Wilson intervals; ``results``: the figures and answers the experimenter reads,
  and ``turing_results`` for ``evaluate --turing_db``; ``csv_export``: the two CSV files.
- ``storage``: the SQLite study database (transactions, ``read_study``); ``schema``:
  its versioned tables. ``limits``: the per-address new-session rate.
- ``images``: the image pool (originals, colorizations, attention checks) cached as PNGs;
  ``uploads``: bounded reading of uploaded photos into integer codes.
- ``runs``: the door to the inference and data layers (and TensorFlow), imported when a
  run is loaded; ``editor``: the editor's methods (runs with hints, and Levin et al.
  2004's optimization, which needs no run), through ``runs`` and ``inference``.
- ``__main__``: the command line (``python -m colorization_tf.web``).

Importing any module but ``runs``' functions, ``editor`` and ``__main__`` (the command
line, which loads runs) imports no TensorFlow: ``storage``, ``study`` and ``results`` need
only the standard library, so ``evaluate`` can read a study database without FastAPI or a
server, and the server and its tests run on fake colorizers without TensorFlow (a test
checks this).
"""
