"""The package's shape (DESIGN.md): the layer packages exist, the top level holds only
library modules and two-line ``python -m`` forwards to ``commands/``, no import circles,
networks / losses / colorizers import nothing from the data, training, evaluation or
inference layers, and no library module imports a command."""

from __future__ import annotations

import ast
import os
import sys

import colorization_tf
import colorization_tf.inference  # noqa: F401  (its lazy exports, see _imports)

ROOT = os.path.dirname(colorization_tf.__file__)
LAYERS = ("data", "models", "losses", "colorizers", "training", "evaluation", "inference",
          "commands", "reproduction")
# The top level: library modules every layer may use, and forwards to commands/.
TOP_LIBRARY = ("__init__", "cli", "color", "cpu", "files", "presets")
DOWNSTREAM_OF_MODELS = ("data", "training", "evaluation", "inference", "reproduction")


def _modules() -> dict[str, str]:
    found = {}
    for directory, _, names in os.walk(ROOT):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
                found[rel.removesuffix(".__init__")] = path
    return found


def _imports(modules: dict[str, str]) -> dict[str, set[str]]:
    """module -> package modules it imports (resolved to the longest existing name)."""
    def resolve(name: str) -> str | None:
        package, _, attribute = name.rpartition(".")
        lazy = getattr(sys.modules.get(package), "_EXPORTS", {})  # inference/: loaded on use
        if attribute in lazy:
            return f"{package}.{lazy[attribute]}"
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(open(path).read())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                target = resolve(name) if name.startswith("colorization_tf") else None
                if target and target != module and not module.startswith(target + "."):
                    targets.add(target)
        graph[module] = targets
    return graph


def test_layer_packages_exist():
    for layer in LAYERS:
        assert os.path.isfile(os.path.join(ROOT, layer, "__init__.py")), layer


def test_top_level_modules_are_library_or_forwards_to_commands():
    commands = {name[:-3] for name in os.listdir(os.path.join(ROOT, "commands"))
                if name.endswith(".py") and name != "__init__.py"}
    for name in sorted(os.listdir(ROOT)):
        stem = name[:-3]
        if not name.endswith(".py") or stem in TOP_LIBRARY:
            continue
        assert stem in commands, f"{name}: top-level module that is neither library " \
                                 f"({', '.join(TOP_LIBRARY)}) nor a command forward"
        tree = ast.parse(open(os.path.join(ROOT, name)).read())
        imports = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert [node.module for node in imports] == [f"colorization_tf.commands.{stem}"], name
        assert len(tree.body) <= 3, f"{name}: a forward holds no code of its own"


def test_library_modules_never_import_commands():
    graph = _imports(_modules())
    for module, targets in graph.items():
        if module.startswith("colorization_tf.commands") or module.count(".") == 1 and \
                module.split(".")[1] not in TOP_LIBRARY:
            continue  # the commands and their top-level forwards
        bad = [t for t in targets if t.startswith("colorization_tf.commands")]
        assert not bad, f"{module} imports {bad}"


def test_no_import_circles():
    graph = _imports(_modules())
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in graph.get(module, ()):
            assert state.get(target) != 1, " -> ".join(path + [module, target])
            if target not in state:
                visit(target, path + [module])
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_networks_losses_and_colorizers_do_not_reach_downstream():
    graph = _imports(_modules())
    for module, targets in graph.items():
        layer = module.split(".")[1] if "." in module else ""
        if layer in ("models", "losses", "colorizers"):
            bad = [t for t in targets if t.split(".")[1:2] and
                   t.split(".")[1] in DOWNSTREAM_OF_MODELS]
            assert not bad, f"{module} imports {bad}"


def test_entry_points_go_through_the_inference_layer():
    graph = _imports(_modules())
    for entry in ("colorization_tf.commands.colorize", "colorization_tf.commands.evaluate"):
        reachable, todo = set(), [entry]
        while todo:
            for target in graph.get(todo.pop(), ()):
                if target not in reachable:
                    reachable.add(target)
                    todo.append(target)
        assert "colorization_tf.inference.loading" in reachable, entry
