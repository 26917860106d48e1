"""Uploaded photos decoded to integer codes: the same pixels as the package's reader
(``inference.user_images.to_codes``, on the image opened directly) for every kind of file
it handles, uint8 or uint16 and never float, and the pixel cap read from the header before anything is decoded."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from colorization_tf.web import uploads

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (24, 36, 3), np.uint8)
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _oriented() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    return _encoded(Image.fromarray(RGB), "PNG", exif=exif.tobytes())


def _palette_with_transparency() -> bytes:
    image = Image.fromarray(RGB).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return _encoded(image, "PNG", transparency=3)


CASES = {
    "rgb_png": lambda: _encoded(Image.fromarray(RGB), "PNG"),
    "rgb_jpeg": lambda: _encoded(Image.fromarray(RGB), "JPEG", quality=90),
    "gray": lambda: _encoded(Image.fromarray(RGB[..., 0]), "PNG"),
    "rgba": lambda: _encoded(Image.fromarray(np.dstack([RGB, RGB[..., 1]])), "PNG"),
    "gray_alpha": lambda: _encoded(Image.fromarray(RGB[..., :2].copy(), "LA"), "PNG"),
    "palette_transparent": _palette_with_transparency,
    "cmyk_jpeg": lambda: _encoded(Image.fromarray(RGB).convert("CMYK"), "JPEG"),
    "sixteen_bit_gray": lambda: _encoded(
        Image.fromarray(RNG.integers(0, 65536, (20, 30), np.uint16)), "PNG"),
    "float_tiff": lambda: _encoded(
        Image.fromarray(RNG.uniform(-0.1, 1.1, (20, 30)).astype(np.float32), "F"), "TIFF"),
    "exif_orientation": _oriented,
    "srgb_icc": lambda: _encoded(Image.fromarray(RGB), "PNG", icc_profile=SRGB_ICC),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_codes_match_the_float_reader(case):
    from colorization_tf.inference.user_images import to_codes, unit_scale

    data = CASES[case]()
    codes = uploads.decode(io.BytesIO(data), max_pixels=10_000)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        reference = unit_scale(to_codes(image))
    assert codes.dtype in (np.uint8, np.uint16) and codes.shape == reference.shape
    scale = 255.0 if codes.dtype == np.uint8 else 65535.0
    assert np.abs(codes / scale - reference).max() <= 0.5 / scale + 1e-6, case
    expected = np.uint16 if case in ("sixteen_bit_gray", "float_tiff") else np.uint8
    assert codes.dtype == expected


def test_orientation_is_applied():
    codes = uploads.decode(io.BytesIO(_oriented()), max_pixels=10_000)
    assert codes.shape == (36, 24, 3)
    assert np.array_equal(codes, np.rot90(RGB, k=-1))


def test_the_pixel_cap_is_read_from_the_header(monkeypatch):
    data = _encoded(Image.fromarray(RGB), "PNG")
    assert uploads.check_header(io.BytesIO(data), max_pixels=24 * 36) == (36, 24)
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("decoded"))
    with pytest.raises(uploads.UploadError) as caught:
        uploads.check_header(io.BytesIO(data), max_pixels=24 * 36 - 1)
    assert caught.value.status == 413 and "36x24" in caught.value.reason
    with pytest.raises(uploads.UploadError) as caught:
        uploads.decode(io.BytesIO(data), max_pixels=100)
    assert caught.value.status == 413


def test_the_caller_keeps_its_stream():
    stream = io.BytesIO(_encoded(Image.fromarray(RGB), "PNG"))
    uploads.check_header(stream, 10_000)
    assert not stream.closed
    assert uploads.decode(stream, 10_000).shape == (24, 36, 3)
    assert not stream.closed


@pytest.mark.parametrize("data,status", [
    (b"", 415), (b"plain text, no picture", 415),
    (_encoded(Image.fromarray(RGB), "PNG")[:100], 422)])  # truncated
def test_what_is_not_a_picture(data, status):
    with pytest.raises(uploads.UploadError) as caught:
        uploads.decode(io.BytesIO(data), 1000)
    assert caught.value.status == status and "\n" not in caught.value.reason
