"""The edit spec file: which faces of a video are edited, how, and how each is rendered.

`vidinvert edit IN --spec EDIT.json -o OUT`; the schema is docs/edit-spec.md. In short:
``{"version": 1, "faces": {"all": {...}, "ref:actor.jpg": {...}, "2": {...}}}``, each face entry
giving ``attr`` (direction name -> strength), ``direction`` (files) and the per-face options of
vidinvert.edit.spec_options. Paths are relative to the spec file's folder. The options of the
command line are the defaults a spec overrides; `EditSpec.config_for` makes the RunConfig of one
face track.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Collection, Mapping, Union

from vidinvert.config import RunConfig
from vidinvert.edit.registry import is_known_direction, known_names_hint
from vidinvert.edit.spec_options import (
    EDIT_KEYS,
    FACE_OPTIONS,
    GLOBAL_OPTIONS,
    check_face_option,
    check_strength,
    json_kind,
)
from vidinvert.errors import VidinvertError
from vidinvert.files import write_text_atomic

SPEC_VERSION = 1
ALL = "all"
REF_PREFIX = "ref:"
TOP_KEYS = ("version", "faces")
_TRACK_ID = re.compile(r"0|[1-9][0-9]*")

#: A strength as a spec writes it: a number, keyframe text, or None for the direction's own default.
SpecStrength = Union[int, float, str, None]
#: Which "ref:PHOTO" selectors match a face track: a test of the selector, or the selectors themselves.
RefMatches = Union[Callable[[str], bool], Collection[str]]

_EXAMPLE = {
    "version": SPEC_VERSION,
    "faces": {
        "all": {"attr": {"smile": 1.5}, "mask_feather": 0.05},
        "ref:actor.jpg": {"attr": {"smile": 0, "brows_raised": "0s:0,1s:1,3s:1,4s:0"}},
        "1": {"attr": {"smile": "0s:0,2s:2"}, "interpolation": "smooth", "render": "delta"},
    },
}


@dataclass(frozen=True)
class FaceEdits:
    """One face entry: the faces it selects, its edits and its option overrides.

    `attr` and `direction` are None where the entry does not give them: the face then keeps the edits
    of the less specific entries, or of the command line. Given, even empty, the two together replace
    those edits. `options` override one by one (per-face option names, vidinvert.edit.spec_options).
    """

    selector: str
    attr: Mapping[str, SpecStrength] | None = None
    direction: tuple[str, ...] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.attr is not None:
            object.__setattr__(self, "attr", dict(self.attr))
        if self.direction is not None:
            object.__setattr__(self, "direction", tuple(os.fspath(d) for d in self.direction))
        object.__setattr__(self, "options", dict(self.options))

    @property
    def gives_edits(self) -> bool:
        return self.attr is not None or self.direction is not None

    @property
    def track_id(self) -> int | None:
        """The track this entry selects by id, if it does."""
        return int(self.selector) if _TRACK_ID.fullmatch(self.selector) else None

    @property
    def photo(self) -> str | None:
        """The photo (as written) of a ``ref:PHOTO`` entry."""
        return self.selector[len(REF_PREFIX):] if self.selector.startswith(REF_PREFIX) else None

    def attr_options(self) -> list[str]:
        """The entry's named edits as ``--attr`` values: ``smile=1.5``, ``age=0s:0,2s:-1``, ``smile``."""
        return [name if value is None else f"{name}={value}" for name, value in (self.attr or {}).items()]

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.attr is not None:
            data["attr"] = dict(self.attr)
        if self.direction is not None:
            data["direction"] = list(self.direction)
        return data | dict(self.options)


@dataclass(frozen=True)
class EditSpec:
    """Face entries by selector, in the file's order; `root` is the folder their paths are relative to."""

    faces: Mapping[str, FaceEdits]
    root: Path = Path(".")
    source: Path | None = field(default=None, compare=False)  # the file it was read from, for messages

    def __post_init__(self) -> None:
        object.__setattr__(self, "faces", dict(self.faces))
        object.__setattr__(self, "root", Path(self.root))
        for selector, entry in self.faces.items():
            if entry.selector != selector:
                raise ValueError(f"face entry {entry.selector!r} filed under {selector!r}")

    def path(self, written: str) -> Path:
        """A path as the spec writes it, resolved against the spec's folder."""
        return self.root / written

    def refs(self) -> dict[str, Path]:
        """Each ``ref:PHOTO`` selector with its photo's path, in the file's order."""
        return {e.selector: self.path(e.photo) for e in self.faces.values() if e.photo is not None}

    def ref_photos(self) -> list[Path]:
        return list(self.refs().values())

    def track_ids(self) -> list[int]:
        """The track ids the spec names, sorted."""
        return sorted(e.track_id for e in self.faces.values() if e.track_id is not None)

    def entries_for(self, track_id: int, matches: RefMatches = ()) -> list[FaceEdits]:
        """The entries that select a track, least specific first: "all", the matching "ref:..." entries
        in the file's order, then the track's own id. `matches` tells which ref selectors match the
        track: a callable given each selector as the spec writes it, or a collection of selectors."""
        matching = matches if callable(matches) else frozenset(matches).__contains__
        entries = list(self.faces.values())
        return ([e for e in entries if e.selector == ALL]
                + [e for e in entries if e.photo is not None and matching(e.selector)]
                + [e for e in entries if e.track_id == track_id])

    def config_for(self, base: RunConfig, track_id: int, matches: RefMatches = ()) -> RunConfig | None:
        """The configuration of one face track: `base` (the command line's) with the entries that select
        the track applied least specific first; None when no entry selects it (the face is not edited).
        An entry that gives attr or direction replaces the edits so far (the command line's included);
        its options replace the same options one by one."""
        entries = self.entries_for(track_id, matches)
        if not entries:
            return None
        options: dict[str, Any] = {}
        for entry in entries:
            if entry.gives_edits:
                options["attr"] = entry.attr_options()
                options["direction"] = tuple(self.path(d) for d in entry.direction or ())
            options.update(entry.options)
        return base.with_options(**options)

    def to_data(self) -> dict[str, Any]:
        return {"version": SPEC_VERSION, "faces": {s: e.to_data() for s, e in self.faces.items()}}

    def to_json(self) -> str:
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def rebased(self, folder: str | os.PathLike) -> EditSpec:
        """The same spec with its relative paths written relative to `folder` (where it is to be saved)."""
        folder = Path(folder)
        if os.path.abspath(folder) == os.path.abspath(self.root):
            return self

        def moved(written: str) -> str:
            if Path(written).is_absolute():
                return written
            return Path(os.path.relpath(os.path.abspath(self.path(written)), os.path.abspath(folder))).as_posix()

        faces = {}
        for entry in self.faces.values():
            selector = entry.selector if entry.photo is None else REF_PREFIX + moved(entry.photo)
            direction = None if entry.direction is None else tuple(moved(d) for d in entry.direction)
            faces[selector] = replace(entry, selector=selector, direction=direction)
        return EditSpec(faces, folder, self.source)


def load_spec(path: str | os.PathLike) -> EditSpec:
    """Read and check an edit spec file; every problem is a one-line VidinvertError naming where it is."""
    path = Path(path)
    if not path.is_file():
        raise VidinvertError(f"edit spec {path} is a folder, not a file" if path.is_dir()
                             else f"edit spec not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VidinvertError(f"cannot read edit spec {path}: {exc}".splitlines()[0]) from None
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys(path), parse_constant=_no_constant(path))
    except json.JSONDecodeError as exc:
        raise VidinvertError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    return parse_spec(data, path.parent, source=path)


def save_spec(spec: EditSpec, path: str | os.PathLike) -> Path:
    """Write `spec` to `path` (never half a file), its relative paths rewritten for the file's folder;
    what is written is checked as `load_spec` checks it, first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)  # its relative paths may pass through it
    spec = spec.rebased(path.parent)
    text = spec.to_json()
    parse_spec(json.loads(text), path.parent, source=path)
    write_text_atomic(path, text)
    return path


def spec_example() -> str:
    """An example spec (what `vidinvert edit --spec-example` prints): every selector kind, named
    edits with numbers and keyframes, per-face options."""
    return json.dumps(_EXAMPLE, indent=2) + "\n"


def check_directions(spec: EditSpec, known_names: Collection[str]) -> None:
    """Refuse the direction names of a spec that are not among `known_names`
    (vidinvert.edit.registry.known_direction_names), all of them in one line."""
    unknown = [f"faces.{e.selector}.attr.{name}" for e in spec.faces.values() for name in e.attr or {}
               if not is_known_direction(name, known_names)]
    if unknown:
        raise VidinvertError(f"{_where(spec.source)}unknown direction name(s) at {', '.join(unknown)} "
                             f"({known_names_hint(known_names)}; `vidinvert directions list` shows them)")


def parse_spec(data: Any, root: str | os.PathLike = ".", source: Path | None = None) -> EditSpec:
    """An EditSpec from parsed JSON, checked; `root` is the folder its paths are relative to."""
    root = Path(root)
    if not isinstance(data, dict):
        raise VidinvertError(f"{_where(source)}an edit spec is a JSON object such as "
                             f'{{"faces": {{"all": {{"attr": {{"smile": 1}}}}}}}}, not {json_kind(data)}')
    _refuse_unknown(data, TOP_KEYS, "", source)
    version = data.get("version", SPEC_VERSION)
    if isinstance(version, bool) or version != SPEC_VERSION:
        raise _error(source, "version", f"this vidinvert reads version {SPEC_VERSION}, not {json_kind(version)}")
    faces = data.get("faces")
    if not isinstance(faces, dict) or not faces:
        raise _error(source, "faces", 'give at least one face entry, e.g. "faces": {"all": {"attr": {"smile": 1}}}'
                     if faces in (None, {}) else f"an object of face selector -> entry, not {json_kind(faces)}")
    return EditSpec({selector: _parse_entry(selector, entry, root, source)
                     for selector, entry in faces.items()}, root, source)


def _parse_entry(selector: str, entry: Any, root: Path, source: Path | None) -> FaceEdits:
    where = f"faces.{selector}"
    _check_selector(selector, root, where, source)
    if not isinstance(entry, dict):
        raise _error(source, where, f'a face entry is an object such as {{"attr": {{"smile": 1}}}}, '
                     f"not {json_kind(entry)}")
    for key in entry:
        if key in GLOBAL_OPTIONS:
            raise _error(source, f"{where}.{key}", f"{key} is a global option (one for the whole run): give it "
                         "on the command line, not per face")
    _refuse_unknown(entry, EDIT_KEYS + FACE_OPTIONS, f"{where}.", source)
    attr = _parse_attr(entry["attr"], f"{where}.attr", source) if "attr" in entry else None
    direction = (_parse_direction(entry["direction"], root, f"{where}.direction", source)
                 if "direction" in entry else None)
    options = {key: value for key, value in entry.items() if key not in EDIT_KEYS}
    for key, value in options.items():
        try:
            check_face_option(key, value)
        except VidinvertError as exc:
            raise _error(source, f"{where}.{key}", str(exc)) from None
    return FaceEdits(selector, attr, direction, options)


def _check_selector(selector: str, root: Path, where: str, source: Path | None) -> None:
    if selector == ALL or _TRACK_ID.fullmatch(selector):
        return
    if selector.startswith(REF_PREFIX) and selector[len(REF_PREFIX):].strip():
        photo = root / selector[len(REF_PREFIX):]
        if not photo.is_file():
            raise _error(source, where, f"photo not found: {photo} (paths are relative to the spec file's folder)")
        return
    raise _error(source, where, f'bad face selector {selector!r}: use "all", a track id such as "2", or "ref:PHOTO"')


def _parse_attr(attr: Any, where: str, source: Path | None) -> dict[str, SpecStrength]:
    if not isinstance(attr, dict):
        raise _error(source, where, f'an object of direction name -> strength such as {{"smile": 1.5}}, '
                     f"not {json_kind(attr)}")
    for name, value in attr.items():
        if not name or name != name.strip() or "=" in name:
            raise _error(source, f"{where}.{name}", f"bad direction name {name!r}")
        if value is not None:
            try:
                check_strength(value)
            except VidinvertError as exc:
                raise _error(source, f"{where}.{name}", str(exc)) from None
    return dict(attr)


def _parse_direction(direction: Any, root: Path, where: str, source: Path | None) -> tuple[str, ...]:
    if not isinstance(direction, list):
        raise _error(source, where, f"a list of direction files, not {json_kind(direction)}")
    for i, item in enumerate(direction):
        if not isinstance(item, str) or not item.strip():
            raise _error(source, f"{where}[{i}]", f"a direction file's path, not {json_kind(item)} (the strength "
                         "of an entry's files is its \"strength\", as --strength on the command line)")
        if not (root / item).is_file():
            raise _error(source, f"{where}[{i}]", f"direction file not found: {root / item} "
                         "(paths are relative to the spec file's folder)")
    return tuple(direction)


def _refuse_unknown(data: dict, allowed: tuple[str, ...], prefix: str, source: Path | None) -> None:
    unknown = [key for key in data if key not in allowed]
    if not unknown:
        return
    named = [prefix + key + (f" (write {key.replace('-', '_')})" if key.replace("-", "_") in allowed else "")
             for key in unknown]
    raise VidinvertError(f"{_where(source)}unknown key(s) {', '.join(named)}; "
                         f"{'a face entry' if prefix else 'the top level'} takes {', '.join(allowed)}")


def _error(source: Path | None, key: str, message: str) -> VidinvertError:
    return VidinvertError(f"{_where(source)}{key}: {message}")


def _where(source: Path | None) -> str:
    return f"{source}: " if source is not None else "edit spec: "


def _unique_keys(path: Path) -> Callable[[list[tuple[str, Any]]], dict]:
    def pairs_to_dict(pairs: list[tuple[str, Any]]) -> dict:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise VidinvertError(f"{path}: key {key!r} is given twice in one object")
            seen[key] = value
        return seen
    return pairs_to_dict


def _no_constant(path: Path) -> Callable[[str], Any]:
    def refuse(name: str) -> Any:
        raise VidinvertError(f"{path}: {name} is not a JSON number")
    return refuse
