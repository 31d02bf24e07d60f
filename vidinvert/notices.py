"""A log level between INFO and WARNING for the few things a user should be told on every run."""

from __future__ import annotations

import logging

NOTICE = 25
logging.addLevelName(NOTICE, "NOTE")


def notice(logger: logging.Logger, message: str, *args) -> None:
    """Log `message` at NOTICE: shown by the CLI by default, unlike INFO."""
    logger.log(NOTICE, message, *args)
