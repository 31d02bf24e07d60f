"""mediapipe's native start-up notices (the TFLite delegate line, absl's feedback-manager warnings)
kept off the terminal, and nothing else.

Native code writes to file descriptor 2 from its own threads, at times Python does not control, so
the filter sits on the descriptor: fd 2 becomes a pipe read by a thread that passes every line but
the known notices on to the real stderr. Python's own `sys.stderr` writes to the real stderr
directly (progress bars stay live). The CLI installs it once per process (not with -vv).
"""

from __future__ import annotations

import os
import re
import sys
import threading

NOTICES = re.compile(
    rb"^(INFO: Created TensorFlow Lite XNNPACK delegate"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|[IW]\d{4} [\d:.]+\s+\d+ (inference_feedback_manager|gl_context|landmark_projection_calculator)\.cc:\d+\])")

_installed = False


def filter_native_notices() -> None:
    """Route native stderr through the notice filter (once per process; a no-op where fd 2 cannot be
    redirected)."""
    global _installed
    if _installed:
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
        sys.stderr = os.fdopen(os.dup(real), "w", buffering=1, encoding=sys.stderr.encoding,
                               errors="backslashreplace")
    except (OSError, AttributeError, ValueError):
        return
    _installed = True
    threading.Thread(target=_pass_lines, args=(read_end, real), name="vidinvert-stderr", daemon=True).start()


def _pass_lines(read_end: int, real: int) -> None:
    pending = b""
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        kept = b"".join(line + b"\n" for line in lines if not NOTICES.match(line))
        if kept:
            os.write(real, kept)
    if pending and not NOTICES.match(pending):
        os.write(real, pending)
