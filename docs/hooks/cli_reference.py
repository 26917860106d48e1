"""MkDocs hook: the command-line reference and the presets table, generated from the code.

At every build ``tools/cli_flags.py dump`` (one subprocess: it imports TensorFlow and each
command module in turn) returns every flag of the seven ``colorization-*`` console scripts
with its type, default and help string; ``on_files`` adds one page per command,
``reference/cli/NAME.md``, rendered by ``render``. The pages are never written to docs/
and never edited by hand, so a flag, default or help text in them is the code's own.
``on_page_markdown`` replaces the marker ``<!-- generated: presets -->`` (training.md)
with the presets' schedules as ``colorization_tf.presets`` defines them.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "cli_flags.py"


def _source_state() -> tuple:
    """What the flags and presets are read from: the package's sources and setup.cfg."""
    paths = [ROOT / "setup.cfg", TOOL, *sorted((ROOT / "colorization_tf").rglob("*.py"))]
    return tuple((str(path), path.stat().st_mtime_ns) for path in paths if path.exists())


_cache: dict = {}


def flag_data() -> dict:
    """``tools/cli_flags.py dump`` run with this interpreter (see its docstring); reused
    while no source file changed (``mkdocs serve`` rebuilds on every docs edit)."""
    state = _source_state()
    if _cache.get("state") == state:
        return _cache["data"]
    result = subprocess.run([sys.executable, str(TOOL), "dump"], cwd=ROOT, check=False,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{TOOL.name} dump failed:\n{result.stderr[-4000:]}")
    _cache.update(state=state, data=json.loads(result.stdout))
    return _cache["data"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(flag: dict) -> str:
    if flag["default"] is None:
        return "not set"  # the help says what applies then (not the value `none`)
    if flag["default"] == "":
        return '`""`'
    return f"`{_cell(flag['default'])}`"


def _form(flag: dict) -> str:
    """How the flag is written: ``--name`` (booleans: also ``--noname``) or ``--name=VALUE``."""
    if flag["boolean"]:
        return f"`--{flag['name']}`, `--no{flag['name']}`"
    if flag["choices"]:
        choices = "|".join(flag["choices"])  # a pipe inside code does not split a cell
        return f"`--{flag['name']}={choices}`"
    return f"`--{flag['name']}={flag['type'].upper()}`"


def _bounds(flag: dict) -> str:
    low, high = flag["lower_bound"], flag["upper_bound"]
    if low is None and high is None:
        return ""
    if high is None:
        return f" (at least {low})"
    if low is None:
        return f" (at most {high})"
    return f" ({low} to {high})"


def render(command: str, info: dict) -> str:
    """The reference page of ``colorization-COMMAND`` from its ``dump`` entry."""
    lines = [
        f"# colorization-{command}",
        "",
        f"`colorization-{command}` or `python -m colorization_tf.{command}` "
        f"(module `{info['module']}`). Generated from the flag definitions at build time; "
        "`--helpfull` prints the same flags with absl's own.",
        "",
        "```text",
        info["doc"],
        "```",
        "",
        "A bad flag or value, a missing file or an unreachable dataset prints one line "
        "naming it and exits with status 2 (`--verbose` adds the Python traceback).",
        "",
        "| flag | default | meaning |",
        "|---|---|---|",
    ]
    for flag in info["flags"]:
        lines.append(f"| {_form(flag)} | {_default(flag)} | "
                     f"{_cell(flag['help'])}{_bounds(flag)} |")
    return "\n".join(lines) + "\n"


PRESETS_MARKER = "<!-- generated: presets -->"
_data: dict = {}


def presets_table(rows: list[dict]) -> str:
    """The presets' schedules as a Markdown table."""
    lines = ["| preset | method | image size (px) | batch | epochs (paper) | epochs on `samples` "
             "| learning rate |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| `{row['preset']}` | `{row['method']}` | {row['image_size']} | "
                     f"{row['batch_size']} | {row['epochs']} | {row['samples_epochs']} | "
                     f"{row['learning_rate']:g} |")
    return "\n".join(lines)


def on_files(files, config):
    """Adds ``reference/cli/NAME.md`` for every console script."""
    from mkdocs.structure.files import File

    _data.update(flag_data())
    for command, info in _data["commands"].items():
        files.append(File.generated(config, f"reference/cli/{command}.md",
                                    content=render(command, info)))
    return files


def on_page_markdown(markdown, page, config, files):
    """Fills the presets marker."""
    if PRESETS_MARKER in markdown:
        markdown = markdown.replace(PRESETS_MARKER, presets_table(_data["presets"]))
    return markdown
