"""Where images come from: TFDS datasets by name, ``folder:PATH``, ``tfrecords:PATH`` and
the embedded ``samples``. Each source yields dicts ``{"image": uint8 [H,W,3], "label":
int64}`` (label -1 when unlabelled) grouped in pools: ``train`` and ``test``, plus ``val``
when the source already fixes its validation split."""

from __future__ import annotations

import dataclasses
import os
import socket
import urllib.parse
import zlib

import tensorflow as tf

from colorization_tf.data import samples as samples_lib
from colorization_tf.data import tfrecords

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
OFFLINE_CHOICES = "samples, folder:PATH or tfrecords:PATH"


class DatasetUnavailableError(ValueError):
    """The named dataset is neither prepared locally nor downloadable."""


@dataclasses.dataclass
class Source:
    """A named set of image pools, plus what downstream code needs to know about them."""

    name: str
    pools: dict[str, tf.data.Dataset]
    num_classes: int = 0
    class_names: tuple[str, ...] = ()
    prepared: bool = False  # already gray-filtered and split (tfrecords written by prepare)

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
    arrays = samples_lib.build_samples(image_size)
    pools = {
        split: tf.data.Dataset.from_tensor_slices(
            {"image": arrays[split]["image"], "label": arrays[split]["label"]})
        for split in samples_lib.SPLITS
    }
    names = samples_lib.CLASS_NAMES
    return Source("samples", pools, len(names), names)


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
        held_out = [f for f in every if zlib.crc32(os.path.relpath(f, root).encode()) % 10 == 0]
        files = {"train": [f for f in every if f not in set(held_out)], "test": held_out}
        class_root = {s: root for s in files}
    if not any(files.values()):
        raise FileNotFoundError(
            f"--dataset=folder:{root}: no images found (expected {', '.join(IMAGE_EXTENSIONS)})")
    class_names = sorted({_class_of(f, class_root[s]) for s, fs in files.items() for f in fs}
                         - {""})
    index = {c: i for i, c in enumerate(class_names)}
    pools = {}
    for split, paths in files.items():
        labels = [index.get(_class_of(p, class_root[split]), -1) for p in paths]
        pools[split] = tf.data.Dataset.from_tensor_slices(
            (tf.constant(paths, tf.string), tf.constant(labels, tf.int64))
        ).map(_decode_file, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors(log_warning=True)
    return Source(f"folder:{root}", pools, len(class_names), tuple(class_names))


def _class_of(path: str, root: str) -> str:
    parts = os.path.relpath(path, root).split(os.sep)
    return parts[0] if len(parts) > 1 else ""


def _decode_file(path: tf.Tensor, label: tf.Tensor) -> dict[str, tf.Tensor]:
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    return {"image": tf.ensure_shape(image, [None, None, 3]), "label": label}


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
    return Source(name, pools, num_classes, class_names)


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
