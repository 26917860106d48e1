"""Reading people's own images robustly: any mode Pillow opens, as sRGB float in [0, 1].

Rules (``colorize`` relies on them):
- EXIF orientation is applied, so the result is the image as viewers show it.
- Gray (``L``, ``1``) becomes three equal channels; 16-bit gray (``I;16*``, and ``I``,
  taken as 16-bit) is scaled by 1/65535, keeping its extra precision. 16-bit RGB PNGs
  arrive from Pillow as 8-bit RGB (high byte), which is exact to 8 bits.
- Transparency (``RGBA``, ``LA``, ``PA``, palette images with a transparent colour) is
  flattened onto white, as most viewers show it; the alpha channel is not kept.
- An embedded ICC profile (e.g. Display P3, Adobe RGB, CMYK press profiles) is honoured by
  converting to sRGB with it; without one, CMYK, YCbCr etc. use Pillow's conversion.
- Animated images give their first frame.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageCms, ImageOps

_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_WITH_ALPHA = ("RGBA", "RGBa", "LA", "La", "PA")


class ImageReadError(ValueError):
    """A file that is not an image Pillow can decode, or is damaged."""


def read_rgb(path: str) -> np.ndarray:
    """The image at ``path`` as float32 sRGB ``[H, W, 3]`` in [0, 1]; raises
    ``ImageReadError`` with the reason when it cannot be read."""
    return unit_scale(read_codes(path))


def read_codes(path: str) -> np.ndarray:
    """The image at ``path`` as integer sRGB codes ``[H, W, 3]``: uint8, or uint16 where
    the file holds more than 8 bits (16-bit gray, float); the rules above. Raises
    ``ImageReadError`` with the reason when it cannot be read."""
    try:
        with Image.open(path) as image:
            image.load()
            return to_codes(image, in_place=True)
    except FileNotFoundError as err:
        raise ImageReadError("no such file") from err
    except IsADirectoryError as err:
        raise ImageReadError("is a directory") from err
    except Image.UnidentifiedImageError as err:
        raise ImageReadError("not an image (Pillow cannot identify its format)") from err
    except Image.DecompressionBombError as err:
        raise ImageReadError(f"too large: {err}") from err
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageReadError(f"cannot decode image: {err}") from err


def codes_bytes(path: str) -> int:
    """The bytes ``read_codes(path)`` will return, from the file's header alone (no
    decoding): what a pipeline reserves before it decodes a photo; 0 for a file whose
    header cannot be read (``read_codes`` then reports why)."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            wide = image.mode in _SIXTEEN_BIT or image.mode == "F"
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        return 0
    return width * height * 3 * (2 if wide else 1)


def unit_scale(codes: np.ndarray) -> np.ndarray:
    """uint8 or uint16 codes -> float32 in [0, 1]."""
    return codes.astype(np.float32) / np.float32(np.iinfo(codes.dtype).max)


def to_codes(image: Image.Image, *, in_place: bool = False) -> np.ndarray:
    """A loaded Pillow image -> sRGB codes ``[H, W, 3]``, uint8 (or uint16 for 16-bit and
    float gray) without a float copy of the image (rules above). ``in_place`` turns the
    image upright in place (no copy of a large photo; the caller's image changes)."""
    if in_place:
        ImageOps.exif_transpose(image, in_place=True)
    else:
        image = ImageOps.exif_transpose(image)
    if image.mode in _SIXTEEN_BIT:
        gray = np.clip(np.asarray(image), 0, 65535).astype(np.uint16)
        return np.repeat(gray[..., None], 3, axis=-1)
    if image.mode == "F":
        gray = np.rint(np.clip(np.asarray(image, np.float32), 0.0, 1.0) * 65535.0)
        return np.repeat(gray.astype(np.uint16)[..., None], 3, axis=-1)
    image = _to_srgb_profile(image)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in _WITH_ALPHA:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)


def _to_srgb_profile(image: Image.Image) -> Image.Image:
    """Converts to sRGB through the embedded ICC profile, if there is a usable one."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK", "L", "LA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.createProfile("sRGB")
        if image.mode == "LA":  # LittleCMS has no gray + alpha: the gray, then its alpha
            converted = ImageCms.profileToProfile(image.getchannel("L"), source, srgb,
                                                  outputMode="RGB")
            converted.putalpha(image.getchannel("A"))
            return converted
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, srgb, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken or mismatched profile: fall back to Pillow's conversion
