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

Too slow for every CI run (see docs/testing.md for the duration); run it before a release
or after changing one of these modules.
"""

from __future__ import annotations

import argparse
import configparser
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
    "evaluation/metrics.py": ["tests/evaluation/test_metrics.py"],
    "evaluation/scoring.py": ["tests/test_evaluate.py"],
    "inference/hints.py": ["tests/inference/test_hints.py",
                           "tests/inference/test_hints_properties.py"],
    "web/storage.py": ["tests/web/test_storage.py"],
    "web/statistics.py": ["tests/web/test_study.py"],
}

# mutant name -> why no test can tell it from the original (excluded from the score)
EQUIVALENT: dict[str, str] = {}

_KILLED = {1, 3, 36, 24, -24, 152, 255, -9, -11}
_SURVIVED = {0}


def _setup_cfg(module: str, tests: list[str]) -> str:
    """setup.cfg of the scratch copy: the repository's, with [mutmut] pointed at one module."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "setup.cfg")
    if not parser.has_section("mutmut"):
        parser.add_section("mutmut")
    parser.set("mutmut", "source_paths", "colorization_tf")
    parser.set("mutmut", "only_mutate", f"colorization_tf/{module}")
    parser.set("mutmut", "pytest_add_cli_args_test_selection", "\n" + "\n".join(tests))
    # TensorFlow's thread pools do not survive a fork: each mutant's process is forked from
    # a server that has only collected the tests (imported TF, run no op).
    parser.set("mutmut", "process_isolation", "forkserver")
    parser.set("mutmut", "forkserver_warmup", "collect")
    from io import StringIO
    out = StringIO()
    parser.write(out)
    return out.getvalue()


def _scratch(module: str, tests: list[str], work: Path) -> Path:
    """A fresh copy of the package, the tests and setup.cfg for one module's run."""
    folder = work / module.replace("/", "_").removesuffix(".py")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "colorization_tf", folder / "colorization_tf", ignore=ignore)
    shutil.copytree(ROOT / "tests", folder / "tests", ignore=ignore)
    (folder / "setup.cfg").write_text(_setup_cfg(module, tests))
    return folder


def _results(folder: Path, module: str) -> dict[str, int]:
    """mutant name -> exit code, from the .meta file mutmut writes beside the mutated module."""
    meta = folder / "mutants" / "colorization_tf" / (module + ".meta")
    return json.loads(meta.read_text())["exit_code_by_key"]


def run_module(module: str, work: Path, show_survivors: bool) -> dict:
    """Runs mutmut over one module and returns its figures."""
    tests = [t for t in MODULES[module] if (ROOT / t).exists()]
    folder = _scratch(module, tests, work)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
           "HYPOTHESIS_PROFILE": "mutation"}
    env.pop("CI", None)  # optional pieces may skip here; CI's own run checks them
    start = time.monotonic()
    log = folder / "mutmut.log"
    with open(log, "w") as stream:
        subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", "1"],
                       cwd=folder, env=env, stdout=stream, stderr=subprocess.STDOUT,
                       check=False)
    seconds = time.monotonic() - start
    codes = _results(folder, module)
    survived = sorted(n for n, c in codes.items() if c in _SURVIVED and n not in EQUIVALENT)
    equivalent = sorted(n for n in codes if n in EQUIVALENT)
    killed = sum(1 for n, c in codes.items() if c in _KILLED and n not in EQUIVALENT)
    other = {n: c for n, c in codes.items()
             if c not in _KILLED | _SURVIVED and n not in EQUIVALENT}
    tested = killed + len(survived)
    figures = {"module": f"colorization_tf/{module}", "tests": tests, "mutants": len(codes),
               "killed": killed, "survived": len(survived), "equivalent": len(equivalent),
               "other": other,
               "score": round(killed / tested, 4) if tested else None,
               "seconds": round(seconds), "survivors": survived}
    if show_survivors:
        for name in survived:
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
    parser.add_argument("--list-survivors", action="store_true",
                        help="print each surviving mutant's diff on stderr")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {unknown[0]!r}: expected one of {', '.join(MODULES)}")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    all_figures = []
    for module in args.modules or list(MODULES):
        figures = run_module(module, work, args.list_survivors)
        print(json.dumps(figures), flush=True)
        all_figures.append(figures)
    print(json.dumps({"summary": {f["module"]: f["score"] for f in all_figures},
                      "seconds": sum(f["seconds"] for f in all_figures)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
