"""The embedded offline dataset: crops of the colour photographs shipped with
scikit-image and matplotlib, split by photograph so test crops come from unseen photos."""

from __future__ import annotations

import functools
import os

import numpy as np
from PIL import Image

# (name, loader key, class label, split). Labels are coarse content classes so that
# label-conditioned methods have something to learn; splits never share a photograph.
CLASS_NAMES = ("person", "animal", "object", "space", "microscopy", "synthetic")
PHOTOS = (
    ("astronaut", "skimage:astronaut", 0, "train"),
    ("chelsea", "skimage:chelsea", 1, "train"),
    ("motorcycle", "skimage:motorcycle_left", 2, "train"),
    ("present", "mpl:Minduka_Present_Blue_Pack.png", 2, "train"),
    ("hubble", "skimage:hubble_deep_field", 3, "train"),
    ("ihc", "skimage:immunohistochemistry", 4, "train"),
    ("retina", "skimage:retina", 4, "train"),
    ("colorwheel", "skimage:colorwheel", 5, "train"),
    ("rocket", "skimage:rocket", 2, "val"),
    ("coffee", "skimage:coffee", 2, "test"),
    ("grace_hopper", "mpl:grace_hopper.jpg", 0, "test"),
)
SPLITS = ("train", "val", "test")


def _load_photo(key: str) -> np.ndarray:
    """Loads one shipped photograph as uint8 RGB."""
    origin, name = key.split(":", 1)
    if origin == "skimage":
        import skimage.data

        if name == "motorcycle_left":
            image = skimage.data.stereo_motorcycle()[0]
        else:
            image = getattr(skimage.data, name)()
    else:
        import matplotlib

        path = os.path.join(matplotlib.get_data_path(), "sample_data", name)
        with Image.open(path) as handle:
            image = np.asarray(handle.convert("RGB"))
    return np.ascontiguousarray(image[..., :3]).astype(np.uint8)


def _crops(photo: np.ndarray, size: int, context: int, stride: int) -> np.ndarray:
    """Shrinks a photo so its short side is ``context * size`` pixels, then cuts a grid of
    ``size`` crops with the given stride; each crop then shows a recognisable part."""
    height, width = photo.shape[:2]
    scale = min(1.0, context * size / min(height, width))
    new_size = (max(size, round(width * scale)), max(size, round(height * scale)))
    resized = np.asarray(Image.fromarray(photo).resize(new_size, Image.BICUBIC))
    tops = range(0, resized.shape[0] - size + 1, stride)
    lefts = range(0, resized.shape[1] - size + 1, stride)
    return np.stack([resized[t:t + size, x:x + size] for t in tops for x in lefts])


def whole_photos(splits: tuple[str, ...]) -> list[tuple[str, np.ndarray]]:
    """(name, uint8 RGB) of every whole photograph in ``splits``, at its own size."""
    return [(name, _load_photo(key)) for name, key, _, split in PHOTOS if split in splits]


@functools.lru_cache(maxsize=8)
def build_samples(size: int = 32, context: int = 5) -> dict[str, dict[str, np.ndarray]]:
    """Returns ``{split: {"image": uint8 [N,size,size,3], "label": int64 [N],
    "photo": str [N]}}``, the same arrays every call (no randomness, no network)."""
    stride = max(1, size // 4)
    parts: dict[str, list] = {split: [] for split in SPLITS}
    for name, key, label, split in PHOTOS:
        crops = _crops(_load_photo(key), size, context, stride)
        parts[split].append((crops, label, name))
    out = {}
    for split, items in parts.items():
        out[split] = {
            "image": np.concatenate([c for c, _, _ in items]),
            "label": np.concatenate([np.full(len(c), lab, np.int64) for c, lab, _ in items]),
            "photo": np.concatenate([np.full(len(c), n) for c, _, n in items]),
        }
    return out
