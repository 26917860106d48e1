"""The reader of people's own images (``inference.user_images``), rule by rule, against
references computed here: EXIF orientation as numpy rotations, transparency flattened
onto white by the alpha formula, 16-bit and float gray scaled by hand, palettes looked up
in their own table, and each failure's one-line reason."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image, ImageCms

from colorization_tf.inference import user_images

RNG = np.random.default_rng(1)
RGB = RNG.integers(0, 256, (6, 10, 3), np.uint8)


def _saved(tmp_path, image: Image.Image, name: str, **options) -> str:
    path = str(tmp_path / name)
    image.save(path, **options)
    return path


def _oriented(orientation: int) -> Image.Image:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(RGB).save(buffer, format="PNG", exif=exif.tobytes())
    buffer.seek(0)
    image = Image.open(buffer)
    image.load()
    return image


@pytest.mark.parametrize(("orientation", "shown"), [
    (1, lambda a: a), (3, lambda a: np.rot90(a, 2)), (6, lambda a: np.rot90(a, -1)),
    (8, lambda a: np.rot90(a, 1)), (2, lambda a: a[:, ::-1])])
def test_exif_orientation_gives_the_image_as_viewers_show_it(orientation, shown):
    np.testing.assert_array_equal(user_images.to_codes(_oriented(orientation)), shown(RGB))


def test_only_in_place_turns_the_callers_image():
    image = _oriented(6)
    user_images.to_codes(image)
    assert image.size == (10, 6)  # the caller's image is untouched
    codes = user_images.to_codes(image, in_place=True)
    assert image.size == (6, 10) and codes.shape == (10, 6, 3)


def test_gray_and_bilevel_become_three_equal_channels():
    gray = RGB[..., 0]
    codes = user_images.to_codes(Image.fromarray(gray, "L"))
    assert codes.dtype == np.uint8
    np.testing.assert_array_equal(codes, np.repeat(gray[..., None], 3, axis=-1))
    bilevel = Image.fromarray(gray > 127).convert("1")
    np.testing.assert_array_equal(user_images.to_codes(bilevel),
                                  np.repeat(np.where(gray > 127, 255, 0)[..., None], 3, -1))


def test_sixteen_bit_and_float_gray_keep_their_precision():
    sixteen = RNG.integers(0, 65536, (5, 7)).astype(np.uint16)
    codes = user_images.to_codes(Image.fromarray(sixteen))
    assert codes.dtype == np.uint16 and codes.shape == (5, 7, 3)
    np.testing.assert_array_equal(codes, np.repeat(sixteen[..., None], 3, axis=-1))
    wide = np.array([[-5, 0, 1000], [65535, 70000, 2**31 - 1]], np.int32)  # mode I
    codes = user_images.to_codes(Image.fromarray(wide, "I"))
    np.testing.assert_array_equal(codes[..., 2], [[0, 0, 1000], [65535, 65535, 65535]])
    assert codes.dtype == np.uint16
    unit = np.array([[-0.5, 0.0, 0.25], [0.5000077, 1.0, 3.0]], np.float32)  # mode F
    codes = user_images.to_codes(Image.fromarray(unit, "F"))
    assert codes.dtype == np.uint16 and codes.shape == (2, 3, 3)
    np.testing.assert_array_equal(codes[..., 0], [[0, 0, 16384], [32768, 65535, 65535]])
    np.testing.assert_array_equal(codes[..., 0], codes[..., 1])


def test_transparency_is_flattened_onto_white():
    alpha = RNG.integers(0, 256, RGB.shape[:2], np.uint8)
    rgba = Image.fromarray(np.dstack([RGB, alpha]), "RGBA")
    weight = alpha[..., None] / 255.0
    onto_white = RGB * weight + 255.0 * (1.0 - weight)
    codes = user_images.to_codes(rgba)
    assert codes.dtype == np.uint8 and codes.shape == RGB.shape
    assert np.abs(codes - onto_white).max() <= 1.0
    gray_alpha = Image.fromarray(np.dstack([RGB[..., 0], alpha]), "LA")
    flat = RGB[..., :1] * weight + 255.0 * (1.0 - weight)
    assert np.abs(user_images.to_codes(gray_alpha) - flat).max() <= 1.0


def test_a_palette_is_looked_up_and_its_transparent_entry_is_white():
    palette = Image.fromarray(RGB).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    table = np.array(palette.getpalette()[:24], np.uint8).reshape(8, 3)
    indices = np.asarray(palette)
    np.testing.assert_array_equal(user_images.to_codes(palette), table[indices])
    palette.info["transparency"] = int(indices[0, 0])
    expected = table[indices].copy()
    expected[indices == indices[0, 0]] = 255
    np.testing.assert_array_equal(user_images.to_codes(palette), expected)


def test_a_broken_or_mismatched_profile_falls_back_to_pillows_conversion():
    plain = Image.fromarray(RGB)
    broken = Image.fromarray(RGB)
    broken.info["icc_profile"] = b"not a profile at all"
    np.testing.assert_array_equal(user_images.to_codes(broken), RGB)
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    mismatched = Image.fromarray(RGB)
    mismatched.info["icc_profile"] = lab  # a Lab profile on RGB pixels: cannot apply
    np.testing.assert_array_equal(user_images.to_codes(mismatched), np.asarray(plain))
    cmyk = plain.convert("CMYK")
    np.testing.assert_array_equal(user_images.to_codes(cmyk), np.asarray(cmyk.convert("RGB")))


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _linear_profile(space: bytes = b"RGB ") -> bytes:
    """An ICC v2 display profile built here, with a gamma of 1: linear sRGB (sRGB's
    primaries, D50-adapted as sRGB's own profile has them) for ``b"RGB "``, linear gray for
    ``b"GRAY"``."""
    def xyz(value):
        return b"XYZ " + bytes(4) + b"".join(_s15(c) for c in value)

    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 256) + bytes(2)  # gamma 1.0
    text = b"linear sRGB\0"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8 + 3 + 67)
    desc += bytes(-len(desc) % 4)
    tags = [(b"desc", desc), (b"wtpt", xyz((0.9642, 1.0, 0.8249)))]
    if space == b"GRAY":
        tags.append((b"kTRC", curve))
    else:
        tags += [(b"rXYZ", xyz((0.4361, 0.2225, 0.0139))),
                 (b"gXYZ", xyz((0.3851, 0.7169, 0.0971))),
                 (b"bXYZ", xyz((0.1431, 0.0606, 0.7141))),
                 (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (struct.pack(">I", offset + len(data)) + bytes(4) + struct.pack(">I", 0x02100000)
              + b"mntr" + space + b"XYZ " + bytes(12) + b"acsp" + bytes(28)
              + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + data


def _srgb_codes(linear: np.ndarray) -> np.ndarray:
    """sRGB's encoding of linear values in [0, 1], in 8-bit units (the standard's formula)."""
    return 255.0 * np.where(linear > 0.0031308, 1.055 * linear ** (1 / 2.4) - 0.055,
                            12.92 * linear)


def test_an_embedded_profile_is_applied_to_colour_gray_and_their_alpha():
    """Codes tagged linear (sRGB or gray) come out sRGB-encoded, within 1 level of the
    formula (gray: from code 16 up; LittleCMS's gray transform interpolates linearly over
    the darkest codes, where the curve is steepest: within 10 levels there); with alpha,
    that colour is then flattened onto white. sRGB's own profile changes nothing beyond
    rounding."""
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    encoded = _srgb_codes(ramp / 255.0)[..., None]
    alpha = np.full((16, 16), 255, np.uint8)
    alpha[::2] = 100  # half the rows see-through
    weight = alpha[..., None] / 255.0
    cases = {"RGB": (np.dstack([ramp] * 3), b"RGB ", encoded),
             "RGBA": (np.dstack([ramp] * 3 + [alpha]), b"RGB ",
                      encoded * weight + 255.0 * (1.0 - weight)),
             "L": (ramp, b"GRAY", encoded),
             "LA": (np.dstack([ramp, alpha]), b"GRAY", encoded * weight + 255.0 * (1 - weight))}
    for mode, (pixels, space, expected) in cases.items():
        image = Image.fromarray(pixels, mode)
        image.info["icc_profile"] = _linear_profile(space)
        codes = user_images.to_codes(image)
        assert codes.shape == (16, 16, 3) and codes.dtype == np.uint8, mode
        error = np.abs(codes - expected)
        assert error[ramp >= (16 if space == b"GRAY" else 0)].max() <= 1.0, mode
        assert error.max() <= 10.0, mode
        assert np.abs(codes - np.asarray(Image.fromarray(pixels, mode).convert("RGB"),
                                         float)).max() > 20, mode  # the profile did act
    tagged = Image.fromarray(RGB)
    tagged.info["icc_profile"] = ImageCms.ImageCmsProfile(
        ImageCms.createProfile("sRGB")).tobytes()
    assert np.abs(user_images.to_codes(tagged).astype(int) - RGB).max() <= 2


def test_animated_images_give_their_first_frame(tmp_path):
    frames = [Image.fromarray(np.full((4, 5, 3), value, np.uint8)) for value in (40, 200)]
    path = str(tmp_path / "anim.gif")
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    codes = user_images.read_codes(path)
    assert codes.shape == (4, 5, 3) and abs(int(codes.mean()) - 40) <= 2


def test_read_codes_and_read_rgb_of_a_file(tmp_path):
    path = _saved(tmp_path, Image.fromarray(RGB), "photo.png")
    codes = user_images.read_codes(path)
    np.testing.assert_array_equal(codes, RGB)
    rgb = user_images.read_rgb(path)
    assert rgb.dtype == np.float32
    np.testing.assert_array_equal(rgb, RGB.astype(np.float32) / np.float32(255.0))
    sixteen = np.array([[0, 1, 65535]], np.uint16)
    assert user_images.unit_scale(sixteen).dtype == np.float32
    np.testing.assert_array_equal(user_images.unit_scale(sixteen),
                                  sixteen.astype(np.float32) / np.float32(65535.0))


def test_each_failure_has_its_one_line_reason(tmp_path, monkeypatch):
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    photo = _saved(tmp_path, Image.fromarray(RGB), "photo.jpg", quality=90)
    truncated = tmp_path / "truncated.jpg"
    with open(photo, "rb") as stream:
        truncated.write_bytes(stream.read()[:200])
    cases = {str(tmp_path / "missing.png"): "^no such file$",
             str(tmp_path): "^is a directory$",
             str(text): r"^not an image \(Pillow cannot identify its format\)$",
             str(truncated): "^cannot decode image: "}
    for path, reason in cases.items():
        with pytest.raises(user_images.ImageReadError, match=reason):
            user_images.read_codes(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)  # 60 pixels: over twice the cap
    with pytest.raises(user_images.ImageReadError, match="^too large: "):
        user_images.read_codes(photo)
    assert issubclass(user_images.ImageReadError, ValueError)


def test_codes_bytes_reads_the_header_alone(tmp_path):
    width, height = RGB.shape[1], RGB.shape[0]
    assert user_images.codes_bytes(_saved(tmp_path, Image.fromarray(RGB), "a.png")) \
        == width * height * 3
    sixteen = Image.fromarray(np.zeros((3, 4), np.uint16))
    assert user_images.codes_bytes(_saved(tmp_path, sixteen, "b.png")) == 3 * 4 * 3 * 2
    floats = Image.fromarray(np.zeros((3, 4), np.float32), "F")
    assert user_images.codes_bytes(_saved(tmp_path, floats, "c.tiff")) == 3 * 4 * 3 * 2
    text = tmp_path / "d.txt"
    text.write_text("nothing")
    assert user_images.codes_bytes(str(text)) == 0
    assert user_images.codes_bytes(str(tmp_path / "missing.png")) == 0
    assert user_images.codes_bytes(str(tmp_path)) == 0
