"""What every command-line tool shares: a quiet start, and one-line user errors.

Importing this module (entry points do it before anything else) imports TensorFlow with
its C++ start-up lines (oneDNN, CUDA, cpu_feature_guard, cuInit) silenced: TF 2.21 prints them
through absl before any log level applies, so stderr is held for the import and replayed
only if the import fails. A TF_CPP_MIN_LOG_LEVEL the user set is respected: 0 or 1 shows
TensorFlow's start-up lines. A bad flag, missing file or unreachable dataset prints ``PROGRAM: message``
and exits 2, with no traceback unless ``--verbose``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator

from absl import app, flags, logging


@contextlib.contextmanager
def _stderr_held() -> Iterator[None]:
    """Sends file descriptor 2 to a temporary file; replays it if the block fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def quiet_tensorflow_import() -> None:
    """Imports TensorFlow without its C++ start-up log lines (see module docstring)."""
    level = os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules or level in ("0", "1"):
        return  # already imported, or the user asked for TensorFlow's INFO lines
    with _stderr_held():
        import tensorflow

        tensorflow.config.list_physical_devices()  # device start-up logs (cuInit) too


quiet_tensorflow_import()

FLAGS = flags.FLAGS
flags.DEFINE_bool("verbose", False, "Show Python tracebacks for errors.")

# What a user can cause: bad values and flags (ValueError, incl. the config, run-directory
# and dataset errors), missing or unreadable files (OSError).
USER_ERRORS = (ValueError, OSError)
EXIT_USER_ERROR = 2


def run(main: Callable[[list[str]], int | None], program: str) -> None:
    """``app.run(main)`` with one-line flag and user errors (see module docstring);
    ``program`` names the command in those lines."""

    def parse(argv: list[str]) -> list[str]:
        try:
            return FLAGS(argv)
        except flags.Error as err:  # an unknown flag or a bad value: a user error too
            print(f"{program}: {one_line(err)}", file=sys.stderr)
            sys.exit(EXIT_USER_ERROR)

    def guarded(argv: list[str]) -> int | None:
        if not FLAGS.verbose:
            logging.set_verbosity(logging.WARNING)  # library INFO lines (TFDS, absl)
        try:
            return main(argv)
        except USER_ERRORS as err:
            if FLAGS.verbose:
                raise
            print(f"{program}: {one_line(err)}", file=sys.stderr)
            return EXIT_USER_ERROR
        except KeyboardInterrupt:
            print(f"{program}: interrupted; run the same command again to resume",
                  file=sys.stderr)
            return 130

    app.run(guarded, flags_parser=parse)


def one_line(error: BaseException) -> str:
    """The error's message on one line (a file error names its file)."""
    if isinstance(error, OSError) and error.filename and str(error.filename) not in str(error):
        text = f"{error.filename}: {error.strerror or error}"
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())


def no_arguments(argv: list[str]) -> None:
    """Refuses positional arguments for commands that take only flags."""
    if len(argv) > 1:
        raise ValueError(f"unexpected arguments {' '.join(argv[1:])} (this command takes "
                         "only --flags; see --helpfull)")
