"""Mutation testing of the modules where a silent bug corrupts results or data.

Runs mutmut 3 once per module, in a scratch copy of the checkout (``colorization_tf/``,
``tests/``, ``setup.cfg``), mutating that module only and running only the fast test files
that guard it, one worker at a time. Prints one JSON line per module and a summary:
killed, survived, equivalent (listed in ``EQUIVALENT`` with the reason, excluded from the
score), timeouts (counted as killed, as mutmut does), and the score
``killed / (killed + survived)``.

    python tools/mutation.py                       # every module
    python tools/mutation.py color/__init__.py     # one module (path under colorization_tf/)
    python tools/mutation.py --list-survivors ...  # also print each surviving mutant's diff
    python tools/mutation.py --report              # figures of the last runs, re-read
    python tools/mutation.py --sample 05 ...       # a systematic sample: mutants numbered
                                                   # ...0 and ...5 in each function (~20%)

Too slow for every CI run (see docs/testing.md for the duration); run it before a release
or after changing one of these modules.
"""

from __future__ import annotations

import argparse
import configparser
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module (under colorization_tf/) -> the fast test files that guard it (no training tests)
MODULES: dict[str, list[str]] = {
    "data/splits.py": ["tests/data/test_splits.py"],
    "data/filtering.py": ["tests/data/test_filtering.py"],
    "web/exclusions.py": ["tests/web/test_exclusions_properties.py"],
    "color/__init__.py": ["tests/test_color.py", "tests/test_color_properties.py"],
    "color/quantize.py": ["tests/test_quantize.py", "tests/test_quantize_properties.py"],
    "evaluation/metrics.py": ["tests/evaluation/test_metrics.py",
                              "tests/evaluation/test_metric_edges.py"],
    "evaluation/scoring.py": ["tests/evaluation/test_scoring.py"],
    "inference/hints.py": ["tests/inference/test_hints.py",
                           "tests/inference/test_hints_properties.py",
                           "tests/inference/test_hints_shapes.py"],
    "web/storage.py": ["tests/web/test_storage.py", "tests/web/test_storage_transactions.py"],
    "web/statistics.py": ["tests/web/test_statistics.py"],
    "inference/batch.py": ["tests/inference/test_batch.py",
                           "tests/inference/test_batch_edges.py"],
    "inference/temporal.py": ["tests/inference/test_temporal.py",
                              "tests/inference/test_temporal_edges.py"],
    "inference/optical_flow.py": ["tests/inference/test_optical_flow.py",
                                  "tests/inference/test_optical_flow_edges.py"],
    "inference/full_resolution.py": ["tests/inference/test_full_resolution.py",
                                     "tests/inference/test_full_resolution_edges.py"],
    "data/hints.py": ["tests/data/test_hints.py", "tests/data/test_hint_edges.py"],
    "inference/user_images.py": ["tests/inference/test_user_images.py",
                                 "tests/web/test_uploads.py"],
    "evaluation/intervals.py": ["tests/evaluation/test_intervals.py",
                                "tests/evaluation/test_uncertainty_edges.py"],
    "evaluation/paired.py": ["tests/evaluation/test_intervals.py",
                             "tests/evaluation/test_uncertainty_edges.py"],
    "evaluation/seeds.py": ["tests/evaluation/test_intervals.py",
                            "tests/evaluation/test_uncertainty_edges.py"],
    "evaluation/report.py": ["tests/evaluation/test_report.py",
                             "tests/evaluation/test_papers.py"],
    "evaluation/paper_report.py": ["tests/evaluation/test_papers.py",
                                   "tests/evaluation/test_paper_report.py"],
    "evaluation/tables.py": ["tests/evaluation/test_report.py"],
    "cpu.py": ["tests/test_cpu.py"],
    "training/precision.py": ["tests/training/test_precision.py",
                              "tests/inference/test_precision.py"],
}
# module -> the tests of its files left out unless --deselect says otherwise (-k): they read
# files the scratch copy does not hold (the notebooks), or are slow for what they add
DESELECT = {"evaluation/report.py": "notebook", "evaluation/paper_report.py": "notebook",
            # a fresh interpreter per case: 10 s a mutant for what the other tests check
            "training/precision.py": "train_flag_parses"}

# mutant name -> why no test can tell it from the original (excluded from the score)
_CONTINUOUS = ("'>' -> '>=' at the knee of a piecewise curve that is continuous there "
               "(both branches agree to float32 precision at the threshold)")
_DEFAULT_FLOAT32 = ("dtype tf.float32 -> None for a constant of Python floats: TensorFlow "
                    "makes those float32 anyway")
_DENSER = ("one or two more samples along a segment already sampled at most half a target "
           "pixel apart: equivalent to the contract, not to the code. The extra samples can "
           "only add a cell the segment clips by a chord shorter than half a cell; both "
           "versions mark every cell the segment crosses and none it does not touch, so "
           "only a test that hard-codes the sampling could tell them apart")
_NO_GROWTH = ("the block _block returns already holds the target pixel nearest every "
              "sample (samples lie on the segment, inside the box it pads by the reach, "
              "floor and ceil + 1, both clipped alike), so _with_nearest never grows it: "
              "r0 == rows.start, and a slice end past the array is cut to the same rows")
_INTEGER_CUT = ("the int/float cut of a JSON integer moved from 300 to 301 digits: a "
                "300-digit integer is far inside float range, and float(int(s)) and "
                "float(s) are both the correctly rounded value, which is all the parser "
                "keeps (_coordinate returns float(value))")
_ZIP_STRICT = ("zip(strict=True) -> strict False / None / dropped over sequences of equal "
               "length by construction (one colour per shape; a polyline's starts and ends)")
_POINTS_DTYPE = ("np.array(points, np.float64) -> dtype None: parsed vertices are floats, "
                 "and integer vertices give the same distances and samples")
_SOFTMAX_AXIS = ("softmax's axis=-1 -> None or dropped: tf.nn.softmax reads both as the "
                 "last axis")
EQUIVALENT: dict[str, str] = {
    "colorization_tf.data.splits.x_hue_balanced_split__mutmut_12":
        "argsort kind 'stable' -> 'STABLE': numpy reads the kind case-insensitively",
    "colorization_tf.data.splits.x_hue_balanced_split__mutmut_18":
        "(i + 0.5) -> (i - 0.5) in the validation ranks: since n = n_val * block, rank "
        "floor((i - 1/2) b) is the original rank i - 1 and i = 0 wraps (a negative index) "
        "to the original last rank: the same set of validation images",
    "colorization_tf.color.x__matmul_last__mutmut_8":
        "einsum subscripts upper-cased ('...J,IJ->...I'): the same contraction",
    "colorization_tf.color.x_rgb_to_lab__mutmut_13": _CONTINUOUS + " (sRGB 0.04045)",
    "colorization_tf.color.x_rgb_to_lab__mutmut_53": _CONTINUOUS + " (f at (6/29)^3)",
    "colorization_tf.color.x_lab_to_rgb__mutmut_45": _CONTINUOUS + " (f inverse at 6/29)",
    "colorization_tf.color.x_lab_to_rgb__mutmut_81": _CONTINUOUS + " (sRGB 0.0031308)",
    "colorization_tf.color.x_rgb_to_lab__mutmut_37": _DEFAULT_FLOAT32,
    "colorization_tf.color.x_rgb_to_lab__mutmut_39": _DEFAULT_FLOAT32,
    "colorization_tf.color.x_rgb_to_lab__mutmut_43": _DEFAULT_FLOAT32,
    "colorization_tf.color.x_rgb_to_lab__mutmut_45": _DEFAULT_FLOAT32,
    "colorization_tf.color.x_lab_to_rgb__mutmut_56": _DEFAULT_FLOAT32,
    "colorization_tf.color.x_lab_to_rgb__mutmut_58": _DEFAULT_FLOAT32,
    "colorization_tf.color.x_lab_to_rgb__mutmut_62":
        "the sRGB matrix inverted in float32 instead of float64: the inverse differs by "
        "~1e-7 relative, below the float32 conversion's own error (tests allow 2e-5)",
    "colorization_tf.color.quantize.x_bin_counts__mutmut_15":
        "bincount maxlength Q -> None: nearest-bin indices are always below Q",
    "colorization_tf.color.quantize.x_rebalancing_weights__mutmut_15":
        "1 / (...) -> 2 / (...): the weights are divided by their expectation right after",
    "colorization_tf.color.quantize.x_soft_encode__mutmut_20":
        "softmax axis -1 -> None: tf.nn.softmax reads None as the last axis",
    "colorization_tf.evaluation.metrics.x_ciede2000__mutmut_110":
        "h_diff < -pi -> <= -pi: differs only where two hues are exactly pi apart in float64 "
        "(on the a/b axes), where the mean hue is 90 or 180 degrees and the rotation term, "
        "the one term the sign of the hue difference reaches, is below 1e-7",
    "colorization_tf.evaluation.metrics.x_ciede2000__mutmut_150":
        "h_sum < 2 pi -> <= 2 pi: only at a hue sum of exactly 2 pi, where the mean hue "
        "moves by a whole turn (the cosines unchanged) and the rotation term changes by <1e-5",
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1point__mutmut_20":
        "'<=' -> '<' before a 1e-9 slack: a centre exactly at the radius is inside either way",
    "colorization_tf.evaluation.metrics.x_pixel_accuracy__mutmut_4": _DEFAULT_FLOAT32,
    "colorization_tf.evaluation.metrics.x_pixel_accuracy__mutmut_6": _DEFAULT_FLOAT32,
    "colorization_tf.color.x_lab_to_rgb__mutmut_64":
        "as x_lab_to_rgb__mutmut_62 (dtype argument dropped: float32)",
    "colorization_tf.color.quantize.x_bin_counts__mutmut_18":
        "as x_bin_counts__mutmut_15 (maxlength dropped: nearest-bin indices are below Q)",
    "colorization_tf.color.quantize.x_decode_annealed__mutmut_7": _SOFTMAX_AXIS,
    "colorization_tf.color.quantize.x_decode_annealed__mutmut_9": _SOFTMAX_AXIS,
    "colorization_tf.color.quantize.x_decode_topk__mutmut_12": _SOFTMAX_AXIS,
    "colorization_tf.color.quantize.x_decode_topk__mutmut_14": _SOFTMAX_AXIS,
    "colorization_tf.color.quantize.x_soft_encode__mutmut_22": _SOFTMAX_AXIS,
    "colorization_tf.color.quantize.x_soft_encode__mutmut_14":
        "logits shifted by + the nearest distance instead of -: a constant per row, which "
        "softmax ignores (it subtracts each row's maximum itself, so nothing underflows)",
    "colorization_tf.color.quantize.x_lattice__mutmut_18":
        "np.stack(axis=-1) -> axis=+1 of two 1-D arrays: the same last axis",
    "colorization_tf.color.quantize.x_squared_distances__mutmut_41":
        "reduce_sum(axis=-1) -> axis=+1 over the centres [Q, 2]: the same last axis",
    "colorization_tf.inference.hints.x_rasterize__mutmut_35": _ZIP_STRICT,
    "colorization_tf.inference.hints.x_rasterize__mutmut_38": _ZIP_STRICT,
    "colorization_tf.inference.hints.x_rasterize__mutmut_39": _ZIP_STRICT,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1stroke__mutmut_11": _ZIP_STRICT,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1stroke__mutmut_14": _ZIP_STRICT,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1stroke__mutmut_18": _ZIP_STRICT,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1stroke__mutmut_3": _POINTS_DTYPE,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1stroke__mutmut_5": _POINTS_DTYPE,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1_block__mutmut_51":
        "the candidate block one row taller: coverage is decided per pixel by its exact "
        "distance, and the extra row is out of reach",
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1_block__mutmut_64":
        "as _Frame._block__mutmut_51: the candidate block one column wider",
    "colorization_tf.inference.hints.x__integer__mutmut_4": _INTEGER_CUT,
    "colorization_tf.inference.hints.x__integer__mutmut_5": _INTEGER_CUT,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1_with_nearest__mutmut_45": _NO_GROWTH,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1_with_nearest__mutmut_56": _NO_GROWTH,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1_with_nearest__mutmut_67": _NO_GROWTH,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1_with_nearest__mutmut_69": _NO_GROWTH,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1_segment__mutmut_45":
        "t = 1.0 instead of 0.0 for a zero-length segment: its direction is (0, 0), so "
        "a + t * d is a either way",
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1_segment__mutmut_74":
        "as _Frame.point__mutmut_20: '<=' -> '<' before a 1e-9 slack",
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1_segment__mutmut_107": _DENSER,
    "colorization_tf.inference.hints.x\u01c1_Frame\u01c1_segment__mutmut_108": _DENSER,
    "colorization_tf.evaluation.metrics.x_ciede2000__mutmut_102":
        "h_diff > pi -> >= pi: as x_ciede2000__mutmut_110, the other side of the same wrap",
    "colorization_tf.evaluation.metrics.x_ciede2000__mutmut_103":
        "h_diff - 2 pi -> h_diff + 2 pi: the hue difference moves by 4 pi, and only "
        "sin(delta_h / 2) reads it, which a whole turn leaves unchanged",
    "colorization_tf.evaluation.metrics.x_ciede2000__mutmut_112":
        "h_diff + 2 pi -> h_diff - 2 pi: as x_ciede2000__mutmut_103, the other branch",
    "colorization_tf.evaluation.metrics.x_ciede2000__mutmut_163":
        "the achromatic mean hue 2x -> 3x: with a zero chroma product the hue term is 0 "
        "whatever the mean hue, and the rotation term is a multiple of it; no other term "
        "reads the mean hue",
    "colorization_tf.evaluation.scoring.x_score_images__mutmut_63":
        "astype(np.float64) -> astype(None): numpy reads a dtype of None as float64",
}

# web/storage.py: SQL text upper- or lower-cased. SQLite reads keywords, table and column
# names case-insensitively; a result column without AS is named as the table declares it
# (the two SELECTs whose AS aliases are upper-cased are killed: answered_trials' keys change)
_SQL_CASE = ("an SQL statement upper- or lower-cased: SQLite reads keywords and names "
             "case-insensitively, and a result column without AS is named as its table "
             "declares it (the rows read back are the same)")
# mutmut's name after 'x': '_' + a function's name, or U+01C1 Class U+01C1 method
_SQL_CASE_MUTANTS: dict[str, tuple[int, ...]] = {
    "__user_version": (4, 5),
    "\u01c1Storage\u01c1_connect": (17, 18, 22, 23, 26, 27),
    "\u01c1Storage\u01c1_migrate": (5, 23, 26),
    "\u01c1Transaction\u01c1add_answer": (6, 7, 9, 20, 21),
    "\u01c1Transaction\u01c1add_images": (7, 8, 10),
    "\u01c1Transaction\u01c1add_participant": (6, 7, 9, 10),
    "\u01c1Transaction\u01c1add_trial": (6, 7, 9, 10),
    "\u01c1Transaction\u01c1answered_trials": (7, 10, 12, 15, 16, 18, 19, 21, 22),
    "\u01c1Transaction\u01c1images": (6, 7, 9, 10),
    "\u01c1Transaction\u01c1latest_study": (4, 5),
    "\u01c1Transaction\u01c1method_counts": (7, 8, 10, 11),
    "\u01c1Transaction\u01c1open_trial": (6, 7, 9, 10, 12, 13),
    "\u01c1Transaction\u01c1participant": (6, 7, 9),
    "\u01c1Transaction\u01c1participant_by_external": (6, 7, 9),
    "\u01c1Transaction\u01c1participant_count": (7, 8),
    "\u01c1Transaction\u01c1secret": (7, 8),
    "\u01c1Transaction\u01c1set_secret": (6, 7),
    "\u01c1Transaction\u01c1study_config": (7, 8),
    "\u01c1Transaction\u01c1study_id": (7, 8, 18, 19),
    "\u01c1Transaction\u01c1trial": (6, 7),
    "\u01c1Transaction\u01c1trial_count": (7, 8),
    "\u01c1Transaction\u01c1used_sources": (7, 8, 10, 11),
}
EQUIVALENT.update({f"colorization_tf.web.storage.x{function}__mutmut_{number}": _SQL_CASE
                   for function, numbers in _SQL_CASE_MUTANTS.items() for number in numbers})
_BUSY_HANDLER = ("sqlite3.connect's timeout only installs a busy handler, which the "
                 "'PRAGMA busy_timeout' run right after on the same connection replaces "
                 "before any statement can wait")
EQUIVALENT.update({
    "colorization_tf.web.storage.x\u01c1Storage\u01c1_connect__mutmut_6":
        _BUSY_HANDLER + " (timeout dropped: 5 s)",
    "colorization_tf.web.storage.x\u01c1Storage\u01c1_connect__mutmut_9":
        _BUSY_HANDLER + " (timeout ms * 1000)",
    "colorization_tf.web.storage.x\u01c1Storage\u01c1_connect__mutmut_10":
        _BUSY_HANDLER + " (timeout ms / 1001)",
    "colorization_tf.web.storage.x\u01c1Storage\u01c1_connect__mutmut_7":
        "isolation_level=None dropped: the default '' only makes sqlite3 open a transaction "
        "before DML run outside one, and every statement here runs inside the explicit "
        "BEGIN / BEGIN IMMEDIATE of write(), read() or _migrate",
    "colorization_tf.web.storage.x\u01c1Storage\u01c1__init____mutmut_8":
        "self._closed = False -> None: only its truth is ever read (close() sets True)",
})

# equivalents named by module, function and mutant numbers


def _mutants(module: str, function: str, *numbers: int) -> list[str]:
    """mutmut's names for mutants of ``function`` (or ``Class.method``) in ``module``."""
    if "." in function:
        owner, method = function.split(".")
        function = f"\u01c1{owner}\u01c1{method}"
    else:
        function = "_" + function
    return [f"colorization_tf.{module}.x{function}__mutmut_{n}" for n in numbers]


_SAME_VALUES_FLOAT = ("a dtype of float32 -> None or dropped where the input is float "
                      "(float64 arithmetic, cast back to float32 downstream: the same "
                      "values to float32 rounding) or small integers (numpy sums those "
                      "in the platform integer)")
_LINEAR_DEFAULT = ("cv2.resize's interpolation=INTER_LINEAR -> None or dropped: OpenCV reads "
                   "both as its default, INTER_LINEAR")
_ARANGE_FLOAT = ("np.arange(..., dtype=np.float64) -> dtype None: integers divided by a "
                 "float are float64 anyway")
_STRIPS = ("how fast_recombine splits a photo's rows among threads (the workers given or "
           "not, the strip size, a strip per row): each row is computed alone by the same "
           "loop, so every split gives the same pixels; only the speed differs")
_FIT_SAMPLES = ("the fit's samples: 50 or 20002 points instead of 20001 give a degree-8 fit "
                "as close to the curve (within the tolerances the tests hold every fit to: "
                "1.5e-4 for f(Y), 0.05 of a level for sRGB)")
_VECTORIZED = ("scipy's vectorized=True -> None or dropped: scipy then reads the statistic as "
               "vectorized when it takes an `axis` argument, which the contract asks of every "
               "statistic (each one here has it)")
_BOTH_BOUNDS = ("an interval's bounds are both None or both numbers (bootstrap_interval "
                "returns them together), so testing one or both is the same")
_SAME_INF = "float('inf') -> float('INF'): the same float"

_BY_FUNCTION: list[tuple[str, str, tuple[int, ...], str]] = [
    # inference: colorize's batch pipeline, video smoothing, optical flow, full resolution,
    # the image reader
    ("inference.temporal", "_model_units", (3,), _SAME_VALUES_FLOAT),
    ("inference.temporal", "thumbnail", (3, 5), _SAME_VALUES_FLOAT),
    ("inference.temporal", "thumbnail", (34,), "np.add.reduceat's axis=0 dropped: 0 is its "
                                               "default"),
    ("inference.temporal", "create", (16,), "mode='ema' dropped on the fallback: 'ema' is "
                                            "TemporalSmoother's default mode"),
    ("inference.temporal", "TemporalSmoother.__init__", (34, 35),
     "cut = False -> None or True before any frame: every call sets cut before it is read "
     "('whether the last frame started a new shot' needs a last frame)"),
    ("inference.optical_flow", "confidence", (6, 8, 13, 15), _SAME_VALUES_FLOAT),
    ("inference.optical_flow", "lightness_u8", (3, 5), _SAME_VALUES_FLOAT + " (a value "
     "within float32 rounding of half a level may round the other way)"),
    ("inference.optical_flow", "FlowEstimator.__call__", (65, 68), _LINEAR_DEFAULT),
    ("inference.full_resolution", "_curve_tables", (8,), _CONTINUOUS + " (f at (6/29)^3)"),
    ("inference.full_resolution", "_curve_tables", (19,), _CONTINUOUS + " (sRGB 0.0031308)"),
    ("inference.full_resolution", "_linear_table", (15,), _CONTINUOUS + " (sRGB 0.04045)"),
    ("inference.full_resolution", "_recombine_pixels", (59,),
     _CONTINUOUS + " (f inverse at 6/29)"),
    ("inference.full_resolution", "_linear_table", (4, 6), _ARANGE_FLOAT),
    ("inference.full_resolution", "_tables", (4, 6), _ARANGE_FLOAT),
    ("inference.full_resolution", "fast_recombine", (18, 20),
     _SAME_VALUES_FLOAT + " (measured: float64 ab gives the same bytes)"),
    ("inference.full_resolution", "fast_recombine", (54, 56, 57, 58, 59, 70, 72, 93),
     _STRIPS),
    ("inference.full_resolution", "recombine", (12,),
     "tf.image.resize's method='bilinear' dropped: bilinear is its default"),
    ("inference.full_resolution", "root_polynomial", (9, 11), _FIT_SAMPLES),
    ("inference.full_resolution", "small_rgb", (34,), "the clip's lower bound dropped: the "
     "resize's weights are non-negative, so nothing falls below 0"),
    ("inference.full_resolution", "small_rgb", (36, 40),
     "np.clip out=small -> a new array: the same values"),
    ("inference.batch", "_decoded_bytes", (4,), "item[1] is None -> item[2] is None: a "
     "photo's resized copy is None exactly when its codes are"),
    ("inference.batch", "_pillow_image", (16, 18), "Image.fromarray's mode 'RGB' -> None or "
     "dropped: Pillow reads a uint8 [H,W,3] array as RGB"),
    ("inference.batch", "_pillow_image", (45,), "frombuffer's orientation 1 -> 2: Pillow "
     "maps any positive orientation top-down (measured, Pillow 13)"),
    ("inference.batch", "colorize_files", (59, 63, 65), _STRIPS + " (here: threads per "
     "photo, where photos already run in parallel)"),
    ("inference.batch", "colorize_files", (60, 64, 66), "rgbx=True -> False, None or "
     "dropped: the encoder writes RGB and RGBX to the same bytes (tested); RGBX only saves "
     "a copy"),
    ("inference.batch", "Encoder.save", (15,), "PNG's RGBX -> RGB conversion done for JPEG "
     "and WebP too: the same bytes, one copy more"),
    ("inference.batch", "colorize_files", (19,), "max_bytes // 3 -> / 3: the stage budget is "
     "only compared with sums of whole bytes, which x // 3 and x / 3 split alike"),
    ("inference.user_images", "_to_srgb_profile", (5,), "'not icc or' -> 'and': the paths "
     "it opens end in the same image (an absent profile reads as empty bytes, which "
     "LittleCMS refuses; a mode it cannot convert raises; both are caught)"),
    ("inference.user_images", "read_codes", (3, 5, 6), "in_place=True -> False, None or "
     "dropped: the photo is turned upright in a copy, the same pixels (one copy more, in "
     "Pillow's memory)"),
    ("inference.user_images", "to_codes", (99, 100), "mode != 'RGB' -> a mode no image has: "
     "an RGB image is converted to RGB, a copy of the same pixels"),
    ("inference.user_images", "to_codes", (43, 45), "np.float32 -> None or dropped for an F "
     "image, which numpy reads as float32 anyway"),
    ("inference.user_images", "to_codes", (65, 73, 74), "a palette image converted to None or "
     "an unknown mode: Pillow converts it to its palette's mode, RGB (measured, Pillow 13)"),
    ("inference.user_images", "to_codes", (67,), "a palette image without transparency "
     "converted to RGBA: every alpha is 255, so flattening onto white keeps its pixels"),
    ("inference.user_images", "to_codes", (89, 90, 91, 92), "white's 255 -> 256: Pillow "
     "clamps a colour's channels to 255"),
    # evaluation: bootstrap intervals, paired comparisons, the seed spread
    ("evaluation.intervals", "_scipy_interval", (6, 15), _VECTORIZED),
    ("evaluation.intervals", "bootstrap_interval", (14,), "axis=-1 -> +1 on the constant "
     "sample's d[None], which is 2-D: axis 1 is its last axis"),
    ("evaluation.intervals", "bootstrap_interval", (18, 20), "np.errstate's divide='ignore' "
     "dropped: BCa divides by zero only where 1 - a (z0 + z) is exactly 0; 1,424 degenerate "
     "samples of 0s and 1s (sizes 2-11; mean, difference and closeness) raised none"),
    ("evaluation.intervals", "bootstrap_interval", (44,), "BCa's bounds are nan together (a "
     "nan or infinite bias correction or acceleration enters both), so falling back when "
     "either or when both is nan is the same"),
    ("evaluation.intervals", "bootstrap_interval", (59,), "method 'percentile' -> "
     "'PERCENTILE': scipy lowercases the method's name"),
    ("evaluation.intervals", "finite_mean", (8,), _SAME_INF),
    ("evaluation.intervals", "mean_interval", (12,), _SAME_INF),
    ("evaluation.intervals", "Estimate.contains", (1,), _BOTH_BOUNDS),
    ("evaluation.paired", "paired_difference", (85, 90), "'>' -> '>=' (or '<' -> '<=') "
     "against 0 for a distinguishable difference: its interval excludes 0 and holds the "
     "point estimate (BCa and percentile intervals of a mean do), so the estimate is never "
     "exactly 0"),
    ("evaluation.seeds", "markdown", (76,), _BOTH_BOUNDS),
    ("evaluation.seeds", "seed_summary", (33, 36, 37), "zip's strict=True dropped: the runs "
     "and their figures are built from the same list, so they never differ in length"),
    ("evaluation.seeds", "spread", (3, 5), "np.float64 -> None or dropped for a list of "
     "Python floats (float64 anyway) or small integers (the same mean, std, min and max)"),
    # data: the hint simulation
    ("data.hints", "draw_points", (35,), "tf.constant(int(count), tf.int32) -> dtype None: "
     "TensorFlow makes a Python int int32 anyway"),
    ("data.hints", "point_count", (15,), "tf.constant(0, tf.int32) -> dtype None: a Python "
     "int is int32 anyway"),
    ("data.hints", "point_count", (5,), "stateless_uniform's maxval=1.0 -> None: its default "
     "for floats is 1"),
    ("data.hints", "global_hint", (5,), "tf.float32 dropped: float64 ab gives the same float32 "
     "hint within 1e-6 (tested), the bins being float32"),
    ("data.hints", "rasterise", (5,), "tf.float32 dropped: the sums are float64 anyway and the "
     "means are cast to float32 (tested with float64 input)"),
    ("data.hints", "simulated_global_hint", (10,), "stateless_split into 6 seeds instead of 5, "
     "taking the fifth: the split is counter-based, so its first five seeds are the same"),
    # evaluation: the report
    ("evaluation.report", "_loss_curves", (10,), "the note returned beside a drawn plot: "
     "write_outputs reads the note only where no plot was drawn (path and name or note)"),
    ("evaluation.report", "comparison_figure", (6,), "subplots' squeeze=False -> None: "
     "matplotlib squeezes only when it is true"),
    ("evaluation.report", "comparison_figure", (33,), "interpolation 'nearest' -> 'NEAREST': "
     "matplotlib lowercases the name"),
    ("evaluation.report", "comparison_figure", (45, 48, 51), "savefig's format='png' -> None, "
     "dropped or 'PNG': the temporary file keeps the .png extension, from which matplotlib "
     "infers the format, and it lowercases a given one"),
    ("evaluation.report", "table_1", (64, 67, 68), "zip's strict=True dropped: the rows are "
     "built from the entries by one comprehension, so they never differ in length"),
    ("evaluation.paper_report", "markdown", (26, 29, 32), "zip's strict=True dropped: "
     "compare() builds its tables from the same paper.tables, one for one"),
    # the precision default: the CPU's features
    ("cpu", "_cpuinfo_flags", (2, 5, 8), "open's encoding='utf-8' -> None, dropped or "
     "'UTF-8': the flags are ASCII, which every locale encoding reads alike, and "
     "errors='replace' (tested) keeps any other byte from raising"),
    ("cpu", "_cpuinfo_flags", (16,), "partition -> rpartition of a flags line: Linux's flag "
     "names hold no ':', so the line has one"),
]
EQUIVALENT.update({name: reason for module, function, numbers, reason in _BY_FUNCTION
                   for name in _mutants(module, function, *numbers)})

_KILLED = {1, 3, 36, 24, -24, 152, 255, -9, -11}  # test failure, pytest error, timeout, crash
_SURVIVED = {0}
_NOT_COVERED = {5, 33}  # no test ran the mutated function: counted as surviving


def _setup_cfg(module: str, tests: list[str], deselect: str = "") -> str:
    """setup.cfg of the scratch copy: the repository's (its [mutmut] section forks each
    mutant from a fork server, as TensorFlow needs), pointed at one module and its tests."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "setup.cfg")
    if not parser.has_section("mutmut"):
        parser.add_section("mutmut")
    parser.set("mutmut", "source_paths", "colorization_tf")
    parser.set("mutmut", "only_mutate", f"colorization_tf/{module}")
    parser.set("mutmut", "pytest_add_cli_args_test_selection", "\n" + "\n".join(tests))
    if deselect:
        parser.set("mutmut", "pytest_add_cli_args", f"\n-k\nnot ({deselect})")
    from io import StringIO
    out = StringIO()
    parser.write(out)
    return out.getvalue()


def _scratch(module: str, tests: list[str], work: Path, deselect: str = "") -> Path:
    """A fresh copy of the package, the tests and setup.cfg for one module's run."""
    folder = work / module.replace("/", "_").removesuffix(".py")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "colorization_tf", folder / "colorization_tf", ignore=ignore)
    shutil.copytree(ROOT / "tests", folder / "tests", ignore=ignore)
    (folder / "setup.cfg").write_text(_setup_cfg(module, tests, deselect))
    return folder


def _results(folder: Path, module: str) -> dict[str, int]:
    """mutant name -> exit code, from the .meta file mutmut writes beside the mutated module."""
    meta = folder / "mutants" / "colorization_tf" / (module + ".meta")
    return json.loads(meta.read_text())["exit_code_by_key"]


def _figures(module: str, tests: list[str], codes: dict[str, int], seconds: float) -> dict:
    """Killed, surviving (not covered included), equivalent and the score of one module."""
    unchecked = sum(1 for code in codes.values() if code is None)  # outside a sample
    counted = {name: code for name, code in codes.items()
               if name not in EQUIVALENT and code is not None}
    survived = sorted(n for n, c in counted.items() if c in _SURVIVED | _NOT_COVERED)
    killed = sum(1 for c in counted.values() if c in _KILLED)
    other = {n: c for n, c in counted.items() if c not in _KILLED | _SURVIVED | _NOT_COVERED}
    tested = killed + len(survived)
    return {"module": f"colorization_tf/{module}", "tests": tests, "mutants": len(codes),
            "killed": killed, "survived": len(survived),
            "equivalent": sum(1 for n, c in codes.items() if n in EQUIVALENT and c is not None),
            "unchecked": unchecked, "unexplained": other,
            "score": round(killed / tested, 4) if tested else None,
            "seconds": round(seconds), "survivors": survived}


def run_module(module: str, work: Path, show_survivors: bool, sample: str = "",
               functions: list[str] | None = None, deselect: str = "") -> dict:
    """Runs mutmut over one module (or the mutants of ``functions``, or those whose number
    ends in one of the digits ``sample``), without the tests matching ``deselect``, and
    returns its figures."""
    tests = [t for t in MODULES[module] if (ROOT / t).exists()]
    folder = _scratch(module, tests, work, deselect)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
           "HYPOTHESIS_PROFILE": "mutation"}
    env.pop("CI", None)  # optional pieces may skip here; CI's own run checks them
    start = time.monotonic()
    log = folder / "mutmut.log"
    with open(log, "w") as stream:
        ending = f"*[{sample}]" if sample else "*"
        names = ([f"*.x_{function}__mutmut_{ending}" for function in functions] if functions
                 else [f"*__mutmut_{ending}"] if sample else [])
        subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", "1", *names],
                       cwd=folder, env=env, stdout=stream, stderr=subprocess.STDOUT,
                       check=False)
    seconds = time.monotonic() - start
    codes = _results(folder, module)
    figures = _figures(module, tests, codes, seconds)
    (folder / "seconds.txt").write_text(f"{seconds:.0f}\n")
    if show_survivors:
        for name in figures["survivors"]:
            shown = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=folder,
                                   env=env, capture_output=True, text=True, check=False)
            print(shown.stdout, file=sys.stderr)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="paths under colorization_tf/ "
                        f"(default: all of {', '.join(MODULES)})")
    parser.add_argument("--work", default="/tmp/colorization_tf_mutation",
                        help="scratch folder for the copies (default: %(default)s)")
    parser.add_argument("--sample", default="", metavar="DIGITS",
                        help="check only the mutants whose number ends in one of DIGITS "
                        "(e.g. 05: a fifth of each function's mutants)")
    parser.add_argument("--functions", default="", metavar="NAMES",
                        help="comma-separated: mutate only these functions")
    parser.add_argument("--deselect", default="", metavar="EXPR",
                        help="leave out the tests matching this pytest -k expression "
                        "(e.g. slow ones that recompute a cache in every mutant's process)")
    parser.add_argument("--report", action="store_true",
                        help="re-read the last runs' results (with today's EQUIVALENT list)")
    parser.add_argument("--list-survivors", action="store_true",
                        help="print each surviving mutant's diff on stderr")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {unknown[0]!r}: expected one of {', '.join(MODULES)}")
    if not args.report and importlib.util.find_spec("mutmut") is None:
        parser.error(f"mutmut is not installed for {sys.executable}: pip install -e "
                     "'.[test,mutation]' (or activate the environment that has it)")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    all_figures = []
    for module in args.modules or list(MODULES):
        if args.report:
            folder = work / module.replace("/", "_").removesuffix(".py")
            if not (folder / "seconds.txt").exists():
                continue
            figures = _figures(module, [t for t in MODULES[module] if (ROOT / t).exists()],
                               _results(folder, module),
                               float((folder / "seconds.txt").read_text()))
        else:
            figures = run_module(module, work, args.list_survivors, args.sample,
                                 [f for f in args.functions.split(",") if f],
                                 args.deselect or DESELECT.get(module, ""))
        print(json.dumps(figures), flush=True)
        all_figures.append(figures)
    print(json.dumps({"summary": {f["module"]: f["score"] for f in all_figures},
                      "seconds": sum(f["seconds"] for f in all_figures)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
