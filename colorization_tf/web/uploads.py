"""People's uploaded photos, bounded before they cost memory, decoded to integer codes.

An upload goes through three gates, cheapest first:
1. bytes: the route's body limit counts bytes while they stream in (413 past the cap);
2. pixels: ``check_header`` reads only the header (Pillow opens lazily) and refuses more
   than ``max_pixels`` before anything is decoded (413; decompression bombs);
3. decoding: ``decode`` runs only inside the colorize limit (``colorize_api``) and keeps
   the photo as uint8 (or uint16 for 16-bit gray), never float: a 36 MP photo is 108 MB as
   uint8 against 432 MB as float32 and 864 MB as float64.

Decoding follows the package's one set of reading rules,
``colorization_tf.inference.user_images.to_codes`` (EXIF orientation, ICC profile to sRGB,
transparency on white, 16-bit gray kept at 16 bits, first frame), which needs only Pillow:
the study server imports no TensorFlow.
"""

from __future__ import annotations

import io
from typing import BinaryIO

import numpy as np
from PIL import Image

from colorization_tf.inference.user_images import to_codes


class UploadError(Exception):
    """An upload the colorize page refuses: an HTTP status and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_header(stream: BinaryIO, max_pixels: int) -> tuple[int, int]:
    """``(width, height)`` from the image header, without decoding. Raises
    ``UploadError``: 415 not an image (or empty), 413 over ``max_pixels``, 422 damaged."""
    with _opened(stream, max_pixels) as picture:
        return picture.size


def decode(stream: BinaryIO, max_pixels: int) -> np.ndarray:
    """The uploaded image as sRGB codes ``[H, W, 3]``: uint8, or uint16 for 16-bit gray.
    Raises ``UploadError`` (see ``check_header``; 422 truncated or damaged)."""
    try:
        with _opened(stream, max_pixels) as picture:
            picture.load()
            return to_codes(picture, in_place=True)
    except UploadError:
        raise
    except Image.DecompressionBombError as err:
        raise UploadError(413, f"image too large: {_one_line(err)}") from err
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise UploadError(422, f"truncated or damaged image: {_one_line(err)}") from err


class _opened:
    """``Image.open`` with the header checks, as a context manager closing the image."""

    def __init__(self, stream: BinaryIO, max_pixels: int) -> None:
        self.stream = stream
        self.max_pixels = max_pixels
        self.picture: Image.Image | None = None

    def __enter__(self) -> Image.Image:
        self.stream.seek(0, io.SEEK_END)
        if self.stream.tell() == 0:
            raise UploadError(415, "empty file, not an image")
        self.stream.seek(0)
        try:
            self.picture = Image.open(self.stream)
        except Image.DecompressionBombError as err:
            raise UploadError(413, f"image too large: {_one_line(err)}") from err
        except Image.UnidentifiedImageError as err:
            raise UploadError(415, "not an image (the format is not recognised)") from err
        except (OSError, SyntaxError, ValueError, EOFError) as err:
            raise UploadError(422, f"truncated or damaged image: {_one_line(err)}") from err
        width, height = self.picture.size
        if width * height > self.max_pixels:
            self.__exit__()
            raise UploadError(413, f"image of {width}x{height} pixels is larger than "
                                   f"{self.max_pixels} pixels")
        return self.picture

    def __exit__(self, *exc) -> None:
        if self.picture is not None:  # releases the image, never the caller's stream
            self.picture.__exit__(*exc)
            self.picture = None


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:200] or type(err).__name__
