"""``DataConfig``: everything that decides which images a split holds and how they look."""

from __future__ import annotations

import dataclasses

from colorization_tf.data import filtering, splits

SPLIT_NAMES = ("train", "val", "test")
# The largest side a network is given (--image_size, --render_size): a 64-channel float
# activation of that side is already 1 GiB per image.
MAX_IMAGE_SIZE = 2048
FEATURES = ("edges", "saliency", "hints", "global_hint")
# Simulated user hints (Zhang et al. 2017 §3.1; data/hints.py): the one place their
# defaults live. The count of points is geometric(HINT_P) from 0, patch sides uniform in
# HINT_PATCH_SIZES (smallest, largest; the paper's 1x1 to 9x9), the global hint dropped
# with probability HINT_GLOBAL_DROP. "distinct" is the evaluation's protocol (hint_points).
HINT_P = 0.125
HINT_PATCH_SIZES = (1, 9)
HINT_GLOBAL_DROP = 0.5
HINT_LOCATIONS = ("gaussian", "uniform", "distinct")


def check_patch_sizes(patch_sizes) -> tuple[int, int]:
    """``(smallest, largest)`` side of the simulated user's hint patches as ints;
    ``ValueError`` unless two whole numbers with 1 <= smallest <= largest."""
    sides = tuple(patch_sizes)
    if (len(sides) != 2 or not all(int(side) == side for side in sides)
            or not 1 <= sides[0] <= sides[1]):
        raise ValueError(f"hint_patch_sizes={sides}: expected (smallest, largest) hint patch "
                         "sizes, whole numbers with 1 <= smallest <= largest")
    return int(sides[0]), int(sides[1])


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
    # Extra example keys: ("edges", "saliency") for the multi-path GAN (data/features.py);
    # "hints" (hint_ab, hint_mask) and "global_hint" (hint_global) for the learned-hints
    # methods (data/hints.py, Zhang et al. 2017).
    features: tuple[str, ...] = ()
    # Simulated user hints (Zhang et al. 2017 §3.1; protocol in data/hints.py): a point
    # count ~ geometric(hint_p) from 0, locations "gaussian" around the centre, "uniform"
    # or "distinct" (uniform, no pixel twice), square patches with sides uniform in
    # hint_patch_sizes; the global hint is dropped (all zeros) with probability
    # hint_global_drop. Defaults: the HINT_* constants above.
    hint_p: float = HINT_P
    hint_locations: str = "gaussian"
    hint_global_drop: float = HINT_GLOBAL_DROP
    hint_patch_sizes: tuple[int, int] = HINT_PATCH_SIZES

    @classmethod
    def from_dict(cls, values: dict) -> DataConfig:
        """The config ``dataclasses.asdict`` gave (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in values.items() if k in names}
        for name in ("features", "hint_patch_sizes"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)

    def to_dict(self) -> dict:
        """JSON-ready values (what ``from_dict`` reads back)."""
        return {**dataclasses.asdict(self), "features": list(self.features),
                "hint_patch_sizes": list(self.hint_patch_sizes)}

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
        unknown = set(self.features) - set(FEATURES)
        if unknown:
            raise ValueError(f"data features {sorted(unknown)}: expected some of "
                             f"{', '.join(FEATURES)}")
        if not 0.0 < self.hint_p <= 1.0:
            raise ValueError(f"--hint_p={self.hint_p}: expected a probability in (0, 1]")
        if self.hint_locations not in HINT_LOCATIONS:
            raise ValueError(f"--hint_locations={self.hint_locations}: expected one of "
                             f"{', '.join(HINT_LOCATIONS)}")
        check_patch_sizes(self.hint_patch_sizes)
        if not 0.0 <= self.hint_global_drop <= 1.0:
            raise ValueError(f"--hint_global_drop={self.hint_global_drop}: expected a "
                             "probability in [0, 1]")
        if self.max_examples is not None and self.max_examples < 1:
            raise ValueError(f"--max_examples={self.max_examples}: expected a positive count")
