"""Pretrained-weights plumbing shared by the ImageNet backbones (ResNet-18, VGG16).

``--backbone_weights`` is ``none`` (random init), ``imagenet`` (download, once, into the
Keras cache) or a PATH to a local weights file. Offline, ``imagenet`` must fail within
seconds with a one-line message naming the flag and the offline choices, never hang in a
download retry loop; so the host is probed with a short socket timeout first.
"""

from __future__ import annotations

import concurrent.futures
import os
import socket
import urllib.parse

import keras

FLAG = "--backbone_weights"
CHOICES = ("none", "imagenet")
WEIGHT_FILE_SUFFIXES = (".h5", ".keras")
REACHABILITY_TIMEOUT_S = 3.0


def keras_cache_dir() -> str:
    """The folder ``keras.utils.get_file`` caches in (``$KERAS_HOME`` or ``~/.keras``)."""
    return os.path.expanduser(os.environ.get("KERAS_HOME", os.path.join("~", ".keras")))


def is_reachable(url: str, timeout: float = REACHABILITY_TIMEOUT_S) -> bool:
    """Whether a TCP connection to ``url``'s host opens within ``timeout`` seconds (DNS
    included, which sockets alone do not bound)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)

    def connect() -> bool:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(connect).result(timeout=timeout)
    except (OSError, concurrent.futures.TimeoutError):
        return False
    finally:
        pool.shutdown(wait=False)


def resolve_weights(weights: str, network: str) -> str:
    """Validates a ``--backbone_weights`` value: returns ``"none"``, ``"imagenet"`` or the
    absolute path of an existing local weights file; raises ValueError otherwise."""
    value = str(weights).strip()
    if value.lower() in CHOICES:
        return value.lower()
    path = os.path.abspath(os.path.expanduser(value))
    if not os.path.isfile(path):
        raise ValueError(f"{FLAG}={value}: no such weights file for {network}; expected "
                         "'none', 'imagenet' or the path of a local .weights.h5 / .h5 file")
    if not path.endswith(WEIGHT_FILE_SUFFIXES):
        raise ValueError(f"{FLAG}={value}: {network} reads Keras weights files (.weights.h5 "
                         "or .h5); expected 'none', 'imagenet' or such a file")
    return path


def download(url: str, fname: str, network: str, file_hash: str | None = None) -> str:
    """The local path of ``url`` (cached as ``fname``), downloading it if needed; offline
    and not cached, raises ValueError naming ``--backbone_weights`` within seconds."""
    cache_dir = keras_cache_dir()
    cached = os.path.join(cache_dir, "models", fname)
    if not os.path.isfile(cached) and not is_reachable(url):
        host = urllib.parse.urlsplit(url).hostname
        raise ValueError(f"{FLAG}=imagenet: cannot reach {host} to download the {network} "
                         f"ImageNet weights (offline?); use {FLAG}=none (random init) or "
                         f"{FLAG}=PATH to a local weights file")
    return keras.utils.get_file(fname, url, cache_subdir="models", cache_dir=cache_dir,
                                file_hash=file_hash)


def load_weights_file(model: keras.Model, path: str, network: str) -> None:
    """``model.load_weights(path)``, any failure reported as a one-line ValueError naming
    ``--backbone_weights`` and the file."""
    try:
        model.load_weights(path)
    except (ValueError, KeyError, OSError) as error:
        lines = str(error).strip().splitlines()
        raise ValueError(f"{FLAG}={path}: not {network} weights"
                         f"{f' ({lines[0]})' if lines else ''}") from None
