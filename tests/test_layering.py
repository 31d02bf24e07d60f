"""Who may import whom: each layer imported alone in a fresh interpreter pulls in only what it needs,
and nothing below the API imports it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vidinvert"
HEAVY = ("torch", "av", "mediapipe", "cv2", "matplotlib", "scipy", "sklearn")

# module imported alone -> third-party packages it must not load
RULES = {
    "vidinvert.cli": HEAVY,  # `vidinvert --help` stays fast
    "vidinvert.config": HEAVY,
    "vidinvert.models": ("av", "mediapipe", "cv2", "click", "matplotlib"),  # models know no video, faces, CLI
    "vidinvert.edit.directions": ("av", "mediapipe", "cv2", "click", "matplotlib"),  # pure latent maths
    "vidinvert.video": ("torch", "mediapipe", "click"),  # video knows no models
    "vidinvert.face.align": ("torch", "av", "click"),
    **{f"vidinvert.edit.{name}": ("av", "mediapipe", "cv2", "click", "matplotlib")  # all of edit/: latent maths
       for name in ("change_source", "direction_formats", "factorisation", "feature_edit", "keyframes", "mixing", "registry",
                    "spec", "spec_options")},
    "vidinvert.temporal": ("av", "mediapipe", "cv2", "click"),  # filters of per-frame arrays (quads, latents)
    "vidinvert.engines.ray_pool": HEAVY + ("ray",),  # Ray is imported only when a pool runs
    **{f"vidinvert.hiding.{name}": HEAVY + ("click",) for name in ("bits", "header", "seal")},  # bytes and bits
}

#: Modules everyone may import: settings, errors, files and small facts.
LEAVES = {"config", "errors", "device", "images", "files", "record_files", "notices", "weights", "checkpoint",
          "temporal", "stage_timing", "concurrency", "samples"}
#: Each package (or top-level module) of vidinvert -> what else of vidinvert it may import, lazy
#: imports included (besides the leaves and itself).
ALLOWED = {
    "models": set(),
    "video": set(),
    "face": set(),
    "edit": {"models"},
    "invert": {"models"},
    "metrics": {"models", "face"},
    "loading": {"models", "demo"},
    "pipeline": {"models", "video", "face", "edit", "invert"},
    "engines": {"models", "loading"},
    "batch": {"engines", "api"},  # a batch runs the public edit_video / invert_video
    "eval": {"models", "video", "face", "metrics", "pipeline", "engines"},
    "train": {"models", "face", "metrics", "invert", "video"},  # video: real frames as training textures
    "discover": {"models", "face", "edit", "invert", "train", "loading"},
    "demo": {"models", "video", "discover", "api"},  # api: demo/run.py only (the application layer)
    "hiding": {"models"},  # a latent code in a picture's bits (docs/hiding.md)
    "api": {"models", "video", "face", "pipeline", "loading", "demo", "hiding"},
    "commands": {"api", "models", "video", "face", "edit", "eval", "batch", "engines", "train", "discover", "demo",
                 "metrics", "pipeline", "loading", "preview"},
    "preview": {"api", "models", "video", "face", "edit", "pipeline"},  # the local page on the facade
    "cli": {"commands", "face"},
}

# the application layer: the facade and what sits on it
APP = {"api.py", "cli.py", "__main__.py", "commands", "batch", "demo/run.py", "preview"}


def loaded_modules(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in json.loads(out)} | set(json.loads(out))


@pytest.mark.parametrize("module", sorted(RULES))
def test_layer_imports_only_what_it_needs(module: str) -> None:
    loaded = loaded_modules(module)
    pulled = sorted(set(RULES[module]) & loaded)
    assert not pulled, f"importing {module} loads {pulled}"
    if module != "vidinvert.cli":
        assert "vidinvert.api" not in loaded and "vidinvert.commands" not in loaded


def imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def in_app_layer(path: Path) -> bool:
    relative = path.relative_to(PACKAGE).as_posix()
    return relative in APP or relative.split("/")[0] in APP


def test_nothing_below_the_api_imports_it_or_the_commands() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if in_app_layer(path):
            continue
        bad = {n for n in imported_names(path) if n.startswith(("vidinvert.api", "vidinvert.commands", "vidinvert.cli"))}
        if bad:
            offenders.append(f"{path.relative_to(PACKAGE)}: {sorted(bad)}")
    assert not offenders


def test_models_import_no_video_faces_or_pipeline() -> None:
    offenders = []
    for path in sorted((PACKAGE / "models").rglob("*.py")):
        bad = {n for n in imported_names(path)
               if n.startswith(("vidinvert.video", "vidinvert.face", "vidinvert.pipeline", "vidinvert.edit"))}
        if bad:
            offenders.append(f"{path.name}: {sorted(bad)}")
    assert not offenders


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path) -> set[str]:
    """The vidinvert modules a file imports anywhere in it (functions' lazy imports included);
    `from package import module` depends on the module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module in MODULES:
            names = {f"{node.module}.{a.name}" for a in node.names}
            found |= (names & set(MODULES)) or {node.module}
            if names - set(MODULES):
                found.add(node.module)  # names defined in the package's own __init__
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
    return found


def unit(module: str) -> str:
    """The package (or top-level module) of vidinvert a module belongs to."""
    return module.split(".")[1] if module != "vidinvert" else module


def test_every_package_imports_only_what_it_is_allowed() -> None:
    units = {unit(m) for m in MODULES if m != "vidinvert"}
    assert units - {"__main__"} <= set(ALLOWED) | LEAVES, "a package with no written rule"
    offenders = []
    for module, path in MODULES.items():
        if module == "vidinvert" or unit(module) not in ALLOWED:
            continue
        mine = unit(module)
        bad = sorted(t for t in imported_modules(path) if unit(t) not in ALLOWED[mine] | LEAVES | {mine, "vidinvert"})
        if bad:
            offenders.append(f"{module}: {bad}")
    assert not offenders


def test_leaves_import_only_leaves_and_models() -> None:
    offenders = []
    for module, path in MODULES.items():
        if module != "vidinvert" and unit(module) in LEAVES:
            bad = sorted(t for t in imported_modules(path) if unit(t) not in LEAVES | {"models", "vidinvert"})
            if bad:
                offenders.append(f"{module}: {bad}")
    assert not offenders


def test_no_import_cycle_lazy_imports_included() -> None:
    graph = {module: imported_modules(path) - {module} for module, path in MODULES.items()}
    visiting, done, cycles = [], set(), []

    def visit(module: str) -> None:
        visiting.append(module)
        for target in sorted(graph[module]):
            if target in visiting:
                cycles.append(visiting[visiting.index(target):] + [target])
            elif target not in done:
                visit(target)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module)
    assert not cycles
