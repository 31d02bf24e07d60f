"""RAVDESS file names (``Actor_XX/MM-VV-EE-II-SS-RR-AA.ext``) and the filters over them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from vidinvert.errors import VidinvertError

MODALITIES = {1: "audio-video", 2: "video-only", 3: "audio-only"}
CHANNELS = {1: "speech", 2: "song"}
EMOTIONS = {1: "neutral", 2: "calm", 3: "happy", 4: "sad", 5: "angry", 6: "fearful", 7: "disgust", 8: "surprised"}
INTENSITIES = {1: "normal", 2: "strong"}
ACTORS = range(1, 25)
AUDIO_ONLY = 3

_NAME = re.compile(r"(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)")
_ACTOR_DIR = re.compile(r"Actor_(\d\d)")


@dataclass(frozen=True)
class RavdessName:
    """The seven codes of a RAVDESS file name."""

    modality: int
    channel: int
    emotion: int
    intensity: int
    statement: int
    repetition: int
    actor: int

    def as_dict(self) -> dict[str, int]:
        """The codes by field name."""
        return asdict(self)


def parse_ravdess_name(path: Path) -> RavdessName:
    """Parse ``path``'s stem; raise ValueError with the reason when it is not a valid RAVDESS name."""
    match = _NAME.fullmatch(path.stem)
    if match is None:
        raise ValueError("not a RAVDESS name (MM-VV-EE-II-SS-RR-AA)")
    name = RavdessName(*(int(code) for code in match.groups()))
    checks = [
        ("modality", name.modality, MODALITIES),
        ("vocal channel", name.channel, CHANNELS),
        ("emotion", name.emotion, EMOTIONS),
        ("intensity", name.intensity, INTENSITIES),
        ("statement", name.statement, (1, 2)),
        ("repetition", name.repetition, (1, 2)),
        ("actor", name.actor, ACTORS),
    ]
    for label, value, allowed in checks:
        if value not in allowed:
            raise ValueError(f"{label} code {value:02d} out of range")
    if name.emotion == 1 and name.intensity == 2:
        raise ValueError("neutral emotion has no strong intensity")
    actor_dir = _ACTOR_DIR.fullmatch(path.parent.name)
    if actor_dir and int(actor_dir.group(1)) != name.actor:
        raise ValueError(f"actor {name.actor:02d} in a folder named {path.parent.name}")
    return name


def _codes(values: Iterable[str | int], table: dict[int, str] | range, label: str) -> frozenset[int]:
    names = {v: k for k, v in table.items()} if isinstance(table, dict) else {}
    allowed = set(table.keys()) if isinstance(table, dict) else set(table)
    codes = set()
    for value in values:
        text = str(value).strip().lower()
        code = names.get(text, int(text) if text.isdigit() else None)
        if code not in allowed:
            choices = ", ".join(names) if names else f"{min(allowed)}-{max(allowed)}"
            raise VidinvertError(f"unknown {label} {value!r} (choose from {choices} or their codes)")
        codes.add(code)
    return frozenset(codes)


@dataclass(frozen=True)
class RavdessFilter:
    """Which RAVDESS files to keep; an empty field keeps every value. Audio-only files never pass."""

    modality: frozenset[int] = frozenset()
    channel: frozenset[int] = frozenset()
    emotion: frozenset[int] = frozenset()
    intensity: frozenset[int] = frozenset()
    actor: frozenset[int] = frozenset()

    @classmethod
    def from_options(
        cls,
        modality: Iterable[str | int] = (),
        channel: Iterable[str | int] = (),
        emotion: Iterable[str | int] = (),
        intensity: Iterable[str | int] = (),
        actor: Iterable[str | int] = (),
    ) -> RavdessFilter:
        """Build from names ("speech", "happy") or codes (2, "03"); unknown values are user errors."""
        return cls(
            modality=_codes(modality, MODALITIES, "modality"),
            channel=_codes(channel, CHANNELS, "vocal channel"),
            emotion=_codes(emotion, EMOTIONS, "emotion"),
            intensity=_codes(intensity, INTENSITIES, "intensity"),
            actor=_codes(actor, ACTORS, "actor"),
        )

    def is_empty(self) -> bool:
        """True when no field restricts anything."""
        return not (self.modality or self.channel or self.emotion or self.intensity or self.actor)

    def accepts(self, name: RavdessName) -> bool:
        """Whether a parsed name passes every non-empty field."""
        fields = (
            (self.modality, name.modality),
            (self.channel, name.channel),
            (self.emotion, name.emotion),
            (self.intensity, name.intensity),
            (self.actor, name.actor),
        )
        return all(not allowed or value in allowed for allowed, value in fields)

    def as_dict(self) -> dict[str, list[int]]:
        """Sorted codes by field (JSON-friendly)."""
        return {key: sorted(value) for key, value in asdict(self).items()}
