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
}

# the application layer: the facade and what sits on it
APP = {"api.py", "cli.py", "__main__.py", "commands", "batch", "demo/run.py"}


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
