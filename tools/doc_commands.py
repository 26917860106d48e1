"""The command lines quoted in the documentation, as argument lists the real flags can parse.

``command_lines(path)`` finds every ``colorization-NAME ...`` and
``python -m colorization_tf.NAME ...`` in a Markdown file's code (fenced blocks, indented
blocks and inline code spans), and returns them as ``DocCommand`` objects:
``tests/test_docs.py`` parses each with ``tools/cli_flags.py check``.

The docs write optional parts and choices as usage synopses do, and this module reads
them so:
- ``[--epochs=N]``: brackets are dropped, the flag is checked.
- ``--format=png|jpg|webp``: every alternative is checked (one line per alternative).
- ``--epochs=N``, ``--out=DIR``, ``--inception_weights=PATH.h5``: a value written as a
  placeholder (an upper-case word) is not parsed; the flag must exist and take a value.
- ``...`` is skipped; shell continuation lines, comments, ``VAR=value`` and ``time``
  prefixes, and what follows ``|``, ``&&``, ``;`` or a redirection are handled as a shell
  would. Standard library only (no TensorFlow).
"""

from __future__ import annotations

import dataclasses
import itertools
import pathlib
import re
import shlex

COMMAND = re.compile(r"colorization-([a-z_]+)$")
MODULE = re.compile(r"colorization_tf\.([a-z_]+)$")
PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9_]*(?![a-z])")
ENDS = {"|", "||", "&&", ";", ">", ">>", "2>", "2>&1", "&", "<"}
FENCE = re.compile(r"^(\s*)(```|~~~)")
INLINE = re.compile(r"(?<!`)`([^`]+)`(?!`)")


@dataclasses.dataclass(frozen=True)
class DocCommand:
    """One command line of a documentation file: ``command`` (train, evaluate, ...),
    ``args`` to parse, ``placeholders``: flags whose value is a placeholder."""

    path: str
    line: int
    text: str
    command: str
    args: tuple[str, ...]
    placeholders: tuple[str, ...] = ()


def _logical_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Joins shell continuation lines (a trailing backslash, or an open quote)."""
    out, buffer, start = [], "", 0
    for number, line in lines:
        if not buffer:
            start = number
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1] + " "
            continue
        buffer += line
        try:
            shlex.split(buffer, comments=True)
        except ValueError:  # a quote still open: the value goes on over the next line
            buffer += "\n"
            continue
        out.append((start, buffer))
        buffer = ""
    if buffer:
        out.append((start, buffer))
    return out


def _code(text: str) -> list[tuple[int, str]]:
    """``(line number, shell text)`` of every code line and inline code span."""
    found: list[tuple[int, str]] = []
    block: list[tuple[int, str]] | None = None
    prose: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            if block is None:
                block = []
            else:
                found += _logical_lines(block)
                block = None
            continue
        if block is not None:
            block.append((number, line))
        elif line.startswith("    ") and line.strip().startswith(("colorization-", "python")):
            found += _logical_lines([(number, line.strip())])
        else:
            prose.append((number, line))
    # inline spans may wrap onto the next line of a paragraph
    joined = "\n".join(line for _, line in prose)
    numbers = [number for number, _ in prose]
    for match in INLINE.finditer(joined):
        found.append((numbers[joined.count("\n", 0, match.start())], match.group(1)))
    return found


def _start(tokens: list[str]) -> tuple[str, int] | None:
    """The command a token list runs and where its arguments begin, if it runs one."""
    for index, token in enumerate(tokens):
        match = COMMAND.match(token)
        if match:
            return match.group(1), index + 1
        if token in ("python", "python3") and tokens[index + 1:index + 2] == ["-m"]:
            module = MODULE.match(tokens[index + 2]) if len(tokens) > index + 2 else None
            return (module.group(1), index + 3) if module else None
        if token in ENDS:
            continue
        if "=" in token.split("/")[0] or token in ("time", "env", "!", "nice", "exec"):
            continue  # VAR=value and command prefixes
        return None
    return None


def _commands_in(number: int, text: str, path: str) -> list[DocCommand]:
    try:
        tokens = shlex.split(text, comments=True)
    except ValueError:
        return []
    found = []
    while tokens:
        start = _start(tokens)
        if start is None:
            ends = [i for i, token in enumerate(tokens) if token in ENDS]
            if not ends:
                break
            tokens = tokens[ends[0] + 1:]
            continue
        command, first = start
        args = []
        rest = tokens[first:]
        for index, token in enumerate(rest):
            if token in ENDS:
                rest = rest[index + 1:]
                break
            args.append(token)
        else:
            rest = []
        tokens = rest
        if not command.isupper():  # colorization-NAME is a placeholder for any command
            found.extend(_expand(path, number, text, command, args))
    return found


def _expand(path: str, number: int, text: str, command: str,
            tokens: list[str]) -> list[DocCommand]:
    """One ``DocCommand`` per alternative of ``a|b`` values (the others at their first)."""
    args: list[list[str]] = []
    placeholders = []
    for token in tokens:
        token = token.replace("[", "").replace("]", "")
        if not token or token.startswith("...") or token == "|":
            continue
        if token.startswith("--") and "=" in token:
            name, value = token[2:].split("=", 1)
            values = [v for v in value.split("|")]
            concrete = [v for v in values if not PLACEHOLDER.search(v) and "..." not in v]
            if len(concrete) < len(values):
                placeholders.append(name)
            if not concrete:
                continue
            args.append([f"--{name}={v}" for v in concrete])
        else:
            args.append([token])
    lines = [[choices[0] for choices in args]]
    for index, choices in enumerate(args):
        for choice in choices[1:]:
            line = list(lines[0])
            line[index] = choice
            lines.append(line)
    return [DocCommand(path, number, " ".join(text.split()), command, tuple(line),
                       tuple(placeholders)) for line in lines]


def command_lines(path: str | pathlib.Path) -> list[DocCommand]:
    """Every command line quoted in the Markdown file ``path``."""
    text = pathlib.Path(path).read_text(encoding="utf-8")
    return list(itertools.chain.from_iterable(
        _commands_in(number, code, str(path)) for number, code in _code(text)))
