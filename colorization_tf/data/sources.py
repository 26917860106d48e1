"""Where images come from: TFDS datasets by name, ``folder:PATH``, ``tfrecords:PATH`` and
the embedded ``samples``. Each source yields dicts ``{"image": uint8 [H,W,3], "label":
int64}`` (label -1 when unlabelled) grouped in pools: ``train`` and ``test``, plus ``val``
when the source already fixes its validation split.

Random-access sources (``folder:`` and ``samples``) also give each pool as an
``IndexedPool``: small references (file paths or row numbers) and a function that reads
one image by reference inside tf.data, so the pipeline can shuffle indices and read by
index without holding pixels in memory. Record-based sources (TFDS, ``tfrecords:``) are
read in order and shuffled through a seeded buffer (see ``pipeline``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import urllib.parse
import zlib
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from colorization_tf.data import samples as samples_lib
from colorization_tf.data import tfrecords

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
OFFLINE_CHOICES = "samples, folder:PATH or tfrecords:PATH"


class DatasetUnavailableError(ValueError):
    """The named dataset is neither prepared locally nor downloadable."""


@dataclasses.dataclass
class IndexedPool:
    """One pool of a random-access source: ``refs`` (numpy arrays of equal length, e.g.
    ``{"path", "label"}``) and ``read`` (tensor refs of one image -> ``{"image",
    "label"}``, a tf.data map function). ``cache_key`` identifies the pool's contents (the
    source and its files' names and sizes) for the statistics cache; ``cache_dir`` is where
    that cache lives (None: statistics are not cached, e.g. in-memory samples)."""

    refs: dict[str, np.ndarray]
    read: Callable[[dict[str, tf.Tensor]], dict[str, tf.Tensor]]
    cache_key: str = ""
    cache_dir: str | None = None

    def __len__(self) -> int:
        return len(self.refs["label"])

    def names(self, indices) -> list[str]:
        """Short names of the images at ``indices`` (file names, or row numbers)."""
        if "path" in self.refs:
            return [os.path.basename(str(self.refs["path"][i], "utf-8")) for i in indices]
        return [f"#{i}" for i in indices]

    def images(self, indices: np.ndarray | None = None) -> tf.data.Dataset:
        """The images at ``indices`` (all when None), in that order, read in parallel."""
        refs = self.refs if indices is None else {k: v[indices] for k, v in self.refs.items()}
        return tf.data.Dataset.from_tensor_slices(tensors(refs)).map(
            self.read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def tensors(refs: dict[str, np.ndarray]) -> dict[str, tf.Tensor]:
    """References as constants (object arrays of bytes become tf.string, even empty)."""
    return {k: tf.constant(v, tf.string if v.dtype == object else None)
            for k, v in refs.items()}


@dataclasses.dataclass
class Source:
    """A named set of image pools, plus what downstream code needs to know about them."""

    name: str
    pools: dict[str, tf.data.Dataset]
    num_classes: int = 0
    class_names: tuple[str, ...] = ()
    prepared: bool = False  # already gray-filtered and split (tfrecords written by prepare)
    indexed: dict[str, IndexedPool] = dataclasses.field(default_factory=dict)
    # record-based sources: pool -> (cache folder, key) for the statistics cache
    stats_cache: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def labelled(self) -> bool:
        return self.num_classes > 0


def load_source(name: str, image_size: int = 32, data_dir: str | None = None) -> Source:
    """Opens the source called ``name`` (see module docstring)."""
    if name == "samples":
        return _samples_source(image_size)
    if name.startswith("folder:"):
        return _folder_source(name[len("folder:"):])
    if name.startswith("tfrecords:"):
        return _tfrecords_source(name[len("tfrecords:"):])
    return _tfds_source(name, data_dir)


def _tfrecords_source(path: str) -> Source:
    pools, manifest = tfrecords.read_pools(path)
    return Source(f"tfrecords:{path}", pools, int(manifest.get("num_classes", 0)),
                  tuple(manifest.get("class_names", ())), prepared=True)


def _samples_source(image_size: int) -> Source:
    """The embedded samples: tiny arrays held in memory, read by row number (the same
    index-based path as a folder of photos)."""
    arrays = samples_lib.build_samples(image_size)
    indexed = {split: _array_pool(arrays[split]["image"], arrays[split]["label"],
                                  f"samples:{image_size}:{split}")
               for split in samples_lib.SPLITS}
    pools = {split: pool.images() for split, pool in indexed.items()}
    names = samples_lib.CLASS_NAMES
    return Source("samples", pools, len(names), names, indexed=indexed)


def _array_pool(images: np.ndarray, labels: np.ndarray, key: str) -> IndexedPool:
    """An in-memory pool whose references are row numbers into ``images``."""
    table = tf.constant(images)
    label_table = tf.constant(np.asarray(labels, np.int64))

    def read(ref):
        return {"image": tf.gather(table, ref["row"]),
                "label": tf.gather(label_table, ref["row"])}

    rows = np.arange(len(labels), dtype=np.int64)
    return IndexedPool({"row": rows, "label": np.asarray(labels, np.int64)}, read, key)


# ---------------------------------------------------------------- folder:PATH


def list_images(root: str) -> list[str]:
    """All image files under ``root`` (recursive, sorted), by extension."""
    found = []
    for directory, _, files in os.walk(root):
        found += [os.path.join(directory, f) for f in files
                  if f.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(found)


def _folder_source(root: str) -> Source:
    """A directory of images. Sub-folders name the classes; ``train/`` (and optionally
    ``val/``, ``test/``) sub-folders fix the splits, otherwise 10% of the files, chosen by
    a hash of their path, form the test pool."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f"--dataset=folder:{root}: no such directory")
    split_dirs = {s: os.path.join(root, s) for s in ("train", "val", "test")
                  if os.path.isdir(os.path.join(root, s))}
    if "train" in split_dirs:
        files = {s: list_images(d) for s, d in split_dirs.items()}
        class_root = split_dirs
    else:
        every = list_images(root)
        is_held_out = [zlib.crc32(os.path.relpath(f, root).encode()) % 10 == 0 for f in every]
        files = {"train": [f for f, out in zip(every, is_held_out, strict=True) if not out],
                 "test": [f for f, out in zip(every, is_held_out, strict=True) if out]}
        class_root = {s: root for s in files}
    if not any(files.values()):
        raise FileNotFoundError(
            f"--dataset=folder:{root}: no images found (expected {', '.join(IMAGE_EXTENSIONS)})")
    class_names = sorted({_class_of(f, class_root[s]) for s, fs in files.items() for f in fs}
                         - {""})
    index = {c: i for i, c in enumerate(class_names)}
    name = f"folder:{root}"
    indexed = {}
    for split, paths in files.items():
        labels = [index.get(_class_of(p, class_root[split]), -1) for p in paths]
        indexed[split] = IndexedPool(
            {"path": np.asarray([p.encode() for p in paths], dtype=object),
             "label": np.asarray(labels, np.int64)},
            _read_file, cache_key=_files_key(name, split, paths), cache_dir=root)
    # Unreadable files are dropped by the statistics pass (pipeline), which keeps indices
    # aligned; this plain view skips them on the fly for callers that read a whole pool.
    pools = {split: pool.images().ignore_errors() for split, pool in indexed.items()}
    return Source(name, pools, len(class_names), tuple(class_names), indexed=indexed)


def _files_key(name: str, pool: str, paths: list[str]) -> str:
    """A digest of the pool's file names and sizes: a cache built for other files (added,
    removed or rewritten with another size) has another key."""
    digest = hashlib.sha256(f"{name}\n{pool}\n{len(paths)}\n".encode())
    for path in paths:
        try:
            size = os.stat(path).st_size
        except OSError:
            size = -1
        digest.update(f"{path}\t{size}\n".encode())
    return digest.hexdigest()[:32]


def _class_of(path: str, root: str) -> str:
    parts = os.path.relpath(path, root).split(os.sep)
    return parts[0] if len(parts) > 1 else ""


def _read_file(ref: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    """Reads and decodes one image file (first frame of an animation) as uint8 RGB."""
    image = tf.io.decode_image(tf.io.read_file(ref["path"]), channels=3,
                               expand_animations=False)
    return {"image": tf.ensure_shape(image, [None, None, 3]), "label": ref["label"]}


# ---------------------------------------------------------------- TFDS


def _tfds_source(name: str, data_dir: str | None) -> Source:
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise ValueError(f"--dataset={name}: no TFDS dataset of that name (expected samples, "
                         "cifar10, stl10, another TFDS image dataset, folder:PATH or "
                         "tfrecords:PATH)") from None
    ensure_available(builder)
    builder.download_and_prepare()
    # Unprepared metadata (e.g. under tfds.testing.mock_data) lists no splits: assume the
    # universal train/test pair.
    splits = list(builder.info.splits.keys()) or ["train", "test"]
    if "train" not in splits:
        raise ValueError(f"--dataset={name}: TFDS dataset has no 'train' split ({splits})")
    image_key = _image_feature(builder.info.features, name)
    features = builder.info.features
    label_feature = features["label"] if "label" in features.keys() else None
    num_classes = getattr(label_feature, "num_classes", 0) or 0
    class_names = tuple(getattr(label_feature, "names", ()) or ())
    wanted = {"train": "train", "val": "validation", "test": "test"}
    pools = {}
    for pool, split in wanted.items():
        if split in splits:
            ds = builder.as_dataset(split=split, shuffle_files=False)
            pools[pool] = ds.map(lambda ex, k=image_key, n=num_classes: {
                "image": ex[k],
                "label": tf.cast(ex["label"], tf.int64) if n else tf.constant(-1, tf.int64)})
    if "test" not in pools:
        raise ValueError(f"--dataset={name}: TFDS dataset has no 'test' split ({splits})")
    stats_cache = {pool: (builder.data_dir, _tfds_key(builder, split))
                   for pool, split in wanted.items() if pool in pools}
    return Source(name, pools, num_classes, class_names, stats_cache=stats_cache)


def _tfds_key(builder, split: str) -> str:
    """The statistics-cache key of a TFDS split: name, version and example count."""
    info = builder.info.splits[split] if split in builder.info.splits else None
    count = info.num_examples if info is not None else -1
    text = f"tfds:{builder.name}:{builder.version}:{split}:{count}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _image_feature(features, name: str) -> str:
    for key in ("image", "img"):
        if key in features.keys():
            return key
    raise ValueError(f"--dataset={name}: TFDS dataset has no 'image' feature "
                     f"(features: {sorted(features.keys())})")


def ensure_available(builder) -> None:
    """Fails at once, naming the dataset and the offline choices, when ``builder`` is
    neither prepared in its data_dir nor downloadable (TFDS itself retries for minutes)."""
    if builder.is_prepared() or network_reachable(builder):
        return
    raise DatasetUnavailableError(
        f"TFDS dataset '{builder.name}' is not prepared in {builder.data_dir} and its download "
        f"host cannot be reached (offline?). Prepare it on a machine with internet access "
        f"and copy the TFDS data_dir here (pass --data_dir), or use an offline source: "
        f"{OFFLINE_CHOICES}.")


def network_reachable(builder, timeout: float = 3.0) -> bool:
    """True if the first download host of ``builder`` accepts a TCP connection."""
    urls = list((builder.url_infos or {}).keys())
    host = urllib.parse.urlparse(urls[0]).hostname if urls else "storage.googleapis.com"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def describe(source: Source) -> dict:
    """JSON-friendly summary used in manifests and config files."""
    return {"name": source.name, "num_classes": source.num_classes,
            "class_names": list(source.class_names), "pools": sorted(source.pools)}
