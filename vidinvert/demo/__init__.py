"""The demo model shipped inside the package, and the synthetic clip `vidinvert demo` edits.

    from vidinvert.demo import run_demo
    run_demo("demo.mp4", attr=("smile",))   # render a talking face with the bundled model, edit it
"""

from vidinvert.demo.clip import render_demo_clip
from vidinvert.demo.run import run_demo

__all__ = ["render_demo_clip", "run_demo"]
