"""The README's before/after picture, from a trained run's own output.

  python tools/before_after.py [--run_dir runs/unet_l1-samples] [--photo coffee]
                               [--height 200] [--colors 256] [--out docs/images/before_after.png]

Loads the run (``inference.load_run``), takes one of its held-out photographs (on
``samples``: the validation and test photographs, never seen in training), and writes one
small PNG of three panels side by side: the gray input, the run's colorization at full
resolution (``Predictor.colorize_rgb``, the path ``colorization-colorize`` takes) and the
original. Each panel is scaled to ``--height`` pixels, and the picture reduced to a
``--colors`` palette (0: full colour) so the committed file stays small (about 110 kB
instead of 300 kB at the defaults); the file is written atomically.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent


def panels(run_dir: str, photo: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gray, colorized, original) uint8 RGB of the held-out photograph ``photo``."""
    from colorization_tf import color
    from colorization_tf.data.display import held_out_images
    from colorization_tf.inference import load_run

    predictor = load_run(run_dir)
    images = dict(held_out_images(predictor.config.data))
    if photo not in images:
        raise ValueError(f"--photo={photo}: expected one of {', '.join(sorted(images))}")
    original = images[photo]
    lightness, _ = color.rgb_to_model(original.astype(np.float32) / 255.0)
    gray = color.model_to_rgb(lightness, color.gray_ab(lightness)).numpy()
    colorized = np.asarray(predictor.colorize_rgb(original))
    return to_uint8(gray), to_uint8(colorized), original


def to_uint8(image: np.ndarray) -> np.ndarray:
    """uint8 as is; floats in [0, 1] rounded to 0..255."""
    if image.dtype == np.uint8:
        return image
    return np.clip(np.rint(np.asarray(image, np.float32) * 255.0), 0, 255).astype(np.uint8)


def side_by_side(images: tuple[np.ndarray, ...], height: int, gap: int = 4) -> Image.Image:
    """The images scaled to ``height`` and joined left to right with a white ``gap``."""
    scaled = []
    for image in images:
        h, w = image.shape[:2]
        width = max(1, round(w * height / h))
        scaled.append(Image.fromarray(image).resize((width, height), Image.LANCZOS))
    total = sum(part.width for part in scaled) + gap * (len(scaled) - 1)
    canvas = Image.new("RGB", (total, height), "white")
    left = 0
    for part in scaled:
        canvas.paste(part, (left, 0))
        left += part.width + gap
    return canvas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run_dir", default="runs/unet_l1-samples")
    parser.add_argument("--photo", default="coffee", help="held-out photograph by name")
    parser.add_argument("--height", type=int, default=200, help="panel height in pixels")
    parser.add_argument("--colors", type=int, default=256,
                        help="palette size of the PNG (0: full colour)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "images" / "before_after.png"))
    args = parser.parse_args(argv)
    if args.height < 16:
        parser.error(f"--height={args.height}: expected 16 or more pixels")
    if not 0 <= args.colors <= 256:
        parser.error(f"--colors={args.colors}: expected 0 (full colour) or 1..256")
    from colorization_tf import files

    picture = side_by_side(panels(args.run_dir, args.photo), args.height)
    if args.colors:
        picture = picture.quantize(args.colors, method=Image.Quantize.MEDIANCUT)
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with files.atomic_path(args.out) as tmp:
        picture.save(tmp, format="PNG", optimize=True)
    print(f"{args.out}: {picture.width}x{picture.height} from {args.run_dir} ({args.photo})")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
