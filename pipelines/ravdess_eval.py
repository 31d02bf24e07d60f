"""RAVDESS-protocol evaluation for scripts: FeatureStyleEncoder's Table 2 setting by default
(120 random videos, first 120 frames). Every option of ``vidinvert eval`` passes through by its
keyword name: the run settings (``RunConfig``), the video selection and the metrics.

    python -m pipelines.ravdess_eval RAVDESS_ROOT REPORT_DIR --generator G.pt --encoder E.pt
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from vidinvert.cli import main as cli_main
from vidinvert.eval.evaluation import split_options
from vidinvert.eval.runner import evaluate_folder

PAPER_PROTOCOL = {"num_videos": 120, "max_frames": 120, "seed": 0}


def ravdess_eval(root: str | Path, report_dir: str | Path, **options: Any) -> dict[str, Any]:
    """Evaluate ``root`` (RAVDESS layout) with the paper's sampling unless ``options`` override it."""
    videos, metrics, config = split_options({"layout": "ravdess", **PAPER_PROTOCOL, **options})
    return evaluate_folder(root, report_dir, config, videos, metrics)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root, report_dir, *rest = sys.argv[1:]
    paper = [f"--{key.replace('_', '-')}={value}" for key, value in PAPER_PROTOCOL.items()]
    sys.exit(cli_main(["eval", root, "-o", report_dir, "--layout", "ravdess", *paper, *rest]))
