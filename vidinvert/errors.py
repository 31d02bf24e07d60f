"""The one error type users see: the CLI prints its message on one line and exits non-zero."""


class VidinvertError(Exception):
    """A problem with the user's input, files or options (not a bug in vidinvert)."""


class WeightsError(VidinvertError):
    """A weights file is missing, malformed or of an unknown format."""


class VideoError(VidinvertError):
    """A video cannot be read or written."""
