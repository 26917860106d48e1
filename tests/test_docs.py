"""Documentation that cannot drift from the code.

- Every ``colorization-*`` / ``python -m colorization_tf.*`` command line quoted in
  README.md and docs/ is parsed with the command's real absl flags
  (``tools/cli_flags.py check``): an unknown flag or a bad value fails.
- The generated CLI reference (``docs/hooks/cli_reference.py``) lists every flag of every
  console script, and the site's navigation has a page for each.
- The presets table of the training guide is generated from ``colorization_tf.presets``.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _load(relative: str, name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


doc_commands = _load("tools/doc_commands.py", "doc_commands")
cli_flags = _load("tools/cli_flags.py", "cli_flags")
hook = _load("docs/hooks/cli_reference.py", "cli_reference_hook")


def _tool(*args: str, payload=None):
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "cli_flags.py"), *args],
                          input=None if payload is None else json.dumps(payload),
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def dump() -> dict:
    return _tool("dump")


def _documented() -> list:
    return [line for path in DOC_FILES for line in doc_commands.command_lines(path)]


def test_synopses_are_read_as_the_docs_write_them(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "Run `colorization-export --run_dir=runs/a --out=e` or\n"
        "`python -m colorization_tf.train\n--epochs=3`; `colorization-NAME` is any tool.\n\n"
        "```bash\n"
        "# a comment --not_a_flag\n"
        "TF_CONFIG='{\"task\": 1,\n   \"x\": 2}' \\\n"
        "  colorization-train --preset=unet_l1 [--epochs=N] [--split_method=hue|random] \\\n"
        "      ... && colorization-web --colorize_page | tee log\n"
        "curl http://x/?a=colorization-train\n"
        "```\n\n"
        "    python -m colorization_tf.prepare --out=DIR\n")
    found = [(c.line, c.command, c.args, c.placeholders)
             for c in doc_commands.command_lines(page)]
    assert found == [
        (7, "train", ("--preset=unet_l1", "--split_method=hue"), ("epochs",)),
        (7, "train", ("--preset=unet_l1", "--split_method=random"), ("epochs",)),
        (7, "web", ("--colorize_page",), ()),
        (14, "prepare", (), ("out",)),
        (1, "export", ("--run_dir=runs/a", "--out=e"), ()),
        (2, "train", ("--epochs=3",), ()),
    ]


def test_docs_quote_every_command():
    quoted = {line.command for line in _documented()}
    assert quoted == set(cli_flags.console_scripts())


@pytest.mark.slow
def test_every_documented_command_line_parses_with_the_real_flags():
    lines = _documented()
    wrong = [["train", ["--epochs=many"], []], ["colorize", ["--no_such_flag"], []],
             ["export", [], ["no_such_flag"]]]
    payload = [[c.command, list(c.args), list(c.placeholders)] for c in lines] + wrong
    results = _tool("check", payload=payload)
    assert all(results[-len(wrong):]), "the checker accepted a bad flag or value"
    rejected = [f"{c.path}:{c.line}: {c.text}\n    -> {reason}"
                for c, reason in zip(lines, results[:len(lines)], strict=True) if reason]
    assert not rejected, "\n".join(rejected)


@pytest.mark.slow
def test_cli_reference_lists_every_flag_of_every_console_script(dump):
    commands = dump["commands"]
    assert set(commands) == set(cli_flags.console_scripts())
    nav = (ROOT / "mkdocs.yml").read_text()
    for command, info in commands.items():
        assert f"reference/cli/{command}.md" in nav, command
        page = hook.render(command, info)
        assert info["flags"], command
        for flag in info["flags"]:
            assert f"`--{flag['name']}" in page, (command, flag["name"])
            assert hook._cell(flag["help"]) in page, (command, flag["name"])
        assert "--verbose" in page


@pytest.mark.slow
def test_presets_table_is_generated_from_the_presets(dump):
    assert hook.PRESETS_MARKER in (ROOT / "docs" / "training.md").read_text()
    table = hook.presets_table(dump["presets"])
    from colorization_tf import presets

    for name in presets.names():
        runtime = presets.get(name).runtime
        assert (f"| `{name}` | `{presets.get(name).method.name}` | "
                f"{presets.get(name).data.image_size} | {runtime.batch_size} | "
                f"{runtime.epochs} | {runtime.samples_epochs} |") in table


def test_readme_links_reach_files_and_headings_that_exist():
    from markdown.extensions.toc import slugify

    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert targets
    for target in targets:
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        file = ROOT / path
        assert file.is_file(), target
        if anchor:
            headings = re.findall(r"^#+\s+(.+?)\s*$", file.read_text(), re.MULTILINE)
            slugs = {slugify(heading, "-") for heading in headings}
            assert anchor in slugs, (target, sorted(slugs))


def test_python_versions_agree_between_readme_and_setup_cfg():
    low, high = re.search(r"Python 3\.(\d+)-3\.(\d+)", (ROOT / "README.md").read_text()).groups()
    metadata = (ROOT / "setup.cfg").read_text()
    assert f"python_requires = >=3.{low},<3.{int(high) + 1}" in metadata
    listed = set(re.findall(r"Programming Language :: Python :: 3\.(\d+)", metadata))
    assert listed == {str(minor) for minor in range(int(low), int(high) + 1)}


def test_method_tables_name_every_preset():
    from colorization_tf import presets

    for page in (ROOT / "README.md", ROOT / "docs" / "index.md"):
        text = page.read_text()
        table = text[text.index("| method |"):]
        table = table[:table.index("\n\n")]
        named = set(re.findall(r"`([a-z0-9_]+)`", table))
        missing = sorted(set(presets.names()) - named)
        assert not missing, (page.name, missing)
