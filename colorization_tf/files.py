"""Atomic output, the one helper every writer uses (files, folders, encoded videos):
write to a hidden temporary beside the target, then rename it onto the target, so a
reader or a killed process never sees half an output.

    with atomic_path("out/photo.png") as tmp:        # a file
        image.save(tmp)
    with atomic_directory("export/saved_model") as tmp:  # a folder
        tf.saved_model.save(module, tmp)

Writers whose output outlives one block (the video writer) use the two halves:
:func:`temporary_beside` and :func:`publish`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator

import numpy as np

TEMPORARY_PREFIX = ".tmp-"  # hidden (folder walks skip them): ``.tmp-XXXX.EXT``


def temporary_beside(path: str, directory: bool = False) -> str:
    """Creates an empty hidden temporary file (or folder) in ``path``'s folder (made if
    missing), with ``path``'s extension so encoders that look at it pick the right format;
    returns its path."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if directory:
        return tempfile.mkdtemp(prefix=TEMPORARY_PREFIX, dir=folder)
    base = os.path.basename(path)
    extension = base[base.index("."):] if "." in base else ""  # all of it: .weights.h5
    handle, tmp = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, suffix=extension, dir=folder)
    os.close(handle)
    return tmp


def publish(tmp: str, path: str) -> None:
    """Renames the finished temporary ``tmp`` onto ``path`` with the permissions a plain
    ``open`` / ``mkdir`` would give (mkstemp / mkdtemp make them private); a folder already
    at ``path`` is replaced."""
    mask = umask()
    if os.path.isdir(tmp):
        os.chmod(tmp, 0o777 & ~mask)
        if os.path.isdir(path):
            shutil.rmtree(path)
    else:
        os.chmod(tmp, 0o666 & ~mask)
    os.replace(tmp, path)


def discard(tmp: str) -> None:
    """Removes a temporary file or folder if it is still there."""
    if os.path.isdir(tmp):
        shutil.rmtree(tmp, ignore_errors=True)
    elif os.path.exists(tmp):
        os.remove(tmp)


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yields a temporary file path beside ``path`` (same extension); publishes it onto
    ``path`` when the block succeeds and removes it when the block fails."""
    tmp = temporary_beside(path)
    try:
        yield tmp
        publish(tmp, path)
    finally:
        discard(tmp)


@contextlib.contextmanager
def atomic_directory(path: str) -> Iterator[str]:
    """Yields a temporary folder beside ``path``; it replaces ``path`` (an older folder of
    that name included) when the block succeeds and is removed when the block fails."""
    tmp = temporary_beside(path, directory=True)
    try:
        yield tmp
        publish(tmp, path)
    finally:
        discard(tmp)


def umask() -> int:
    """The process's umask (read without changing it for long)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def require_directory_path(path: str, flag: str) -> None:
    """Raises ``ValueError`` naming ``flag`` when ``path`` exists and is not a folder (an
    output folder flag given a file), before any work starts."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{flag}={path} is a file; expected a folder (it is created "
                         "if missing)")


def write_json(path: str, payload) -> None:
    """Writes ``payload`` as indented JSON, atomically (numpy scalars and arrays allowed)."""
    with atomic_path(path) as tmp, open(tmp, "w") as handle:
        json.dump(payload, handle, indent=2, default=_json_default)
        handle.write("\n")


def write_text(path: str, text: str) -> None:
    """Writes ``text`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "w") as handle:
        handle.write(text)


def read_json(path: str):
    with open(path) as handle:
        return json.load(handle)


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
