"""The command-line tools' own flags, read from their absl definitions.

Used by the documentation build (``docs/hooks/cli_reference.py`` renders the CLI reference
and the presets table from ``dump``) and by ``tests/test_docs.py`` (``check`` parses the command lines quoted in
README.md and docs/ with the real flags), so neither can drift from the code.

  python tools/cli_flags.py dump            # JSON: {"commands": {command: {module, doc,
                                            #   flags: [...]}}, "presets": [...]}
  python tools/cli_flags.py check < x.json  # x: [[command, [arg, ...], [placeholder flag, ...]],
                                            #     ...] -> JSON: null or the reason, per line

The commands are the ``colorization-*`` console scripts of setup.cfg. Each command module
defines its flags on absl's global ``FLAGS`` when imported, and two commands share flag
names (``--run_dir``), so the modules are imported one after another in this one process
(TensorFlow is imported once), and a command's own flags are deleted before the next is
imported. A command line is parsed by ``FLAGS`` as the command's own ``app.run`` would,
with every absl flag the command accepts defined (its module's, ``--verbose`` and absl's
logging flags).
"""

from __future__ import annotations

import configparser
import importlib
import json
import pathlib
import sys
from collections.abc import Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
HELP_FLAGS = ("--help", "--helpfull", "--helpshort", "--helpxml", "-h", "-?")


def console_scripts() -> dict[str, str]:
    """``{"train": "colorization_tf.commands.train", ...}`` from setup.cfg's console
    scripts (the command's short name -> the module that defines its flags)."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    scripts = {}
    for line in parser["options.entry_points"]["console_scripts"].strip().splitlines():
        script, target = (part.strip() for part in line.split("=", 1))
        scripts[script.removeprefix("colorization-")] = target.split(":", 1)[0]
    return scripts


def _describe(flag) -> dict:
    """One flag as plain data: what the reference page prints."""
    parser = flag.parser
    if flag.default is None:
        default = None
    elif isinstance(flag.default, bool):
        default = "true" if flag.default else "false"
    elif isinstance(flag.default, list):
        default = ",".join(str(value) for value in flag.default)
    else:
        default = str(flag.default)
    return {
        "name": flag.name,
        "type": flag.flag_type(),
        "boolean": bool(flag.boolean),
        "default": default,
        "help": " ".join(str(flag.help or "").split()),
        "choices": list(getattr(parser, "enum_values", None) or []),
        "lower_bound": getattr(parser, "lower_bound", None),
        "upper_bound": getattr(parser, "upper_bound", None),
        "syntax": getattr(parser, "syntactic_help", ""),
    }


def _commands() -> Iterator[tuple[str, object, list[str]]]:
    """Yields ``(command, module, its flag names)`` with that command's flags defined on
    ``FLAGS``; they are deleted when the caller asks for the next command."""
    from absl import flags

    fv = flags.FLAGS
    importlib.import_module("colorization_tf.cli")  # --verbose, TensorFlow imported quietly
    for command, module_name in console_scripts().items():
        before = set(fv)
        module = importlib.import_module(module_name)
        own = sorted(set(fv) - before)
        common = [f.name for f in fv.flags_by_module_dict().get("colorization_tf.cli", [])]
        yield command, module, own + sorted(set(common) - set(own))
        for name in own:
            if name in fv:
                delattr(fv, name)


def dump() -> dict:
    """``{"commands": every command's module, docstring and flags (sorted by name),
    "presets": every preset's schedule}``."""
    from absl import flags

    commands = {}
    for command, module, names in _commands():
        commands[command] = {"module": module.__name__, "doc": (module.__doc__ or "").strip(),
                             "flags": [_describe(flags.FLAGS[name]) for name in names]}
    return {"commands": commands, "presets": presets()}


def presets() -> list[dict]:
    """Each registered preset's method, image size, batch, epochs and learning rate, as
    ``colorization_tf.presets`` defines them (the training page's table)."""
    from colorization_tf import presets as registry

    rows = []
    for name in registry.names():
        config = registry.get(name)
        rows.append({"preset": name, "method": config.method.name,
                     "image_size": config.data.image_size,
                     "batch_size": config.runtime.batch_size,
                     "epochs": config.runtime.epochs,
                     "samples_epochs": config.runtime.samples_epochs,
                     "learning_rate": config.optim.learning_rate})
    return rows


def takes_positionals(module) -> bool:
    """False for commands whose ``main`` refuses positional arguments."""
    source = pathlib.Path(module.__file__).read_text()
    return "cli.no_arguments(argv)" not in source


def check(lines: list[tuple[str, list[str], list[str]]]) -> list[str | None]:
    """Parses each ``(command, args, placeholders)`` with that command's real flags:
    ``None`` when the command accepts it, else the one-line reason. ``placeholders`` are
    flags the docs give a placeholder value (``--epochs=N``): each must exist and take a
    value."""
    from absl import flags

    fv = flags.FLAGS
    results: list[str | None] = [None] * len(lines)
    for command, module, _names in _commands():
        for index, (name, args, placeholders) in enumerate(lines):
            if name != command:
                continue
            unknown = [flag for flag in placeholders if flag not in fv or fv[flag].boolean]
            if unknown:
                results[index] = f"--{unknown[0]}: no such flag taking a value"
                continue
            fv.unparse_flags()
            args = [arg for arg in args if arg not in HELP_FLAGS]
            try:
                rest = fv([f"colorization-{command}", *args])
            except flags.Error as err:
                results[index] = " ".join(str(err).split())
                continue
            finally:
                fv.unparse_flags()
            if len(rest) > 1 and not takes_positionals(module):
                results[index] = f"takes no positional arguments, got {rest[1:]}"
    for index, (name, *_rest) in enumerate(lines):
        if name not in console_scripts():
            results[index] = f"no such command colorization-{name}"
    return results


def main(argv: list[str]) -> int:
    if argv[1:] == ["dump"]:
        json.dump(dump(), sys.stdout, indent=1)
    elif argv[1:] == ["check"]:
        json.dump(check(json.load(sys.stdin)), sys.stdout)
    else:
        print("usage: python tools/cli_flags.py dump | check < lines.json", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv))
