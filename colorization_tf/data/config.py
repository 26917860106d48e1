"""``DataConfig``: everything that decides which images a split holds and how they look."""

from __future__ import annotations

import dataclasses

from colorization_tf.data import filtering, splits

SPLIT_NAMES = ("train", "val", "test")
# The largest side a network is given (--image_size, --render_size): a 64-channel float
# activation of that side is already 1 GiB per image.
MAX_IMAGE_SIZE = 2048


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Everything that decides which images a split holds and how they look."""

    dataset: str = "samples"
    image_size: int = 32
    split_method: str = "hue"
    val_ratio: float = 0.1
    filter_gray: bool = True
    gray_threshold: float = filtering.DEFAULT_GRAY_THRESHOLD
    seed: int = 0
    data_dir: str | None = None
    max_examples: int | None = None
    # Extra example keys: ("edges", "saliency") for the multi-path GAN (data/features.py).
    features: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, values: dict) -> DataConfig:
        """The config ``dataclasses.asdict`` gave (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in values.items() if k in names}
        if "features" in values:
            values["features"] = tuple(values["features"])
        return cls(**values)

    def to_dict(self) -> dict:
        """JSON-ready values (what ``from_dict`` reads back)."""
        return {**dataclasses.asdict(self), "features": list(self.features)}

    def validate(self) -> None:
        """Raises a ValueError naming the flag whose value cannot work."""
        if not self.dataset:
            raise ValueError("--dataset is empty: expected samples, a TFDS name, "
                             "folder:PATH or tfrecords:PATH")
        if not 1 <= self.image_size <= MAX_IMAGE_SIZE:
            raise ValueError(f"--image_size={self.image_size}: expected a size in "
                             f"1..{MAX_IMAGE_SIZE}")
        if not 0.0 <= self.val_ratio < 1.0:
            raise ValueError(f"--val_ratio={self.val_ratio}: expected a share in [0, 1)")
        if self.split_method not in splits.SPLIT_METHODS:
            raise ValueError(f"--split_method={self.split_method}: expected one of "
                             f"{', '.join(splits.SPLIT_METHODS)}")
        unknown = set(self.features) - {"edges", "saliency"}
        if unknown:
            raise ValueError(f"data features {sorted(unknown)}: expected edges, saliency")
        if self.max_examples is not None and self.max_examples < 1:
            raise ValueError(f"--max_examples={self.max_examples}: expected a positive count")
