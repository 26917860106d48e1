"""Input-shape checks shared by the fully convolutional networks."""

from __future__ import annotations


def check_divisible(network: str, input_shape, factor: int) -> None:
    """Raises a ValueError naming ``network`` when H or W is not a multiple of ``factor``
    (the network's total downsampling), so a bad --image_size fails before training."""
    height, width = input_shape[1], input_shape[2]
    if any(side is not None and side % factor for side in (height, width)):
        raise ValueError(f"{network} input size {height}x{width} is not divisible by {factor}; "
                         "resize the images (--image_size) or change the network's depth")
