"""Where weights live, which files vidinvert knows, and how to check them.

Folders are searched in order: an explicit `--weights-dir`, `$VIDINVERT_WEIGHTS`, then the user
cache folder (`~/.cache/vidinvert/weights` on Linux). Nothing is ever downloaded: a missing file is
an error that names the file, where it was looked for and where it comes from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import platformdirs

from vidinvert.errors import WeightsError

ENV_VAR = "VIDINVERT_WEIGHTS"
#: The generator looked for in the store when none is given.
DEFAULT_GENERATOR = "stylegan2-ffhq-config-f.pt"
#: Encoders looked for in the store when none is given, best first.
DEFAULT_ENCODERS = ("vidinvert_encoder.pt", "143_enc.pth", "restyle_psp_ffhq_encode.pt",
                    "restyle_e4e_ffhq_encode.pt")
#: Files other libraries keep in torch's hub cache: torchvision's AlexNet (the LPIPS trunk) and
#: face-alignment's landmark network and face detector. vidinvert only ever reads them.
ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
FACE_ALIGNMENT_FILES = ("2DFAN4-cd938726ad.zip", "s3fd-619a316812.pth")


@dataclass(frozen=True)
class KnownWeights:
    """A weights file vidinvert can use."""

    name: str
    kind: str
    purpose: str
    source: str
    check: str  # name of the format check in FORMAT_CHECKS
    in_torch_hub: bool = False  # kept by another library in torch's hub cache, not in our store

    def folders(self, weights_dir: str | os.PathLike | None = None) -> list[Path]:
        """Where this file is looked for, in order."""
        if self.in_torch_hub:
            return [torch_hub_checkpoints()]
        return search_dirs(weights_dir)


def torch_hub_checkpoints() -> Path:
    """The folder where torch's hub cache keeps downloaded weights files."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


KNOWN_WEIGHTS: tuple[KnownWeights, ...] = (
    KnownWeights("vidinvert_encoder.pt", "encoder",
                 "vidinvert FSE-residual encoder (warm-started video inversion), trained with vidinvert train",
                 "this project (docs/encoder_format.md)", "encoder"),
    KnownWeights("stylegan2-ffhq-config-f.pt", "generator",
                 "StyleGAN2 FFHQ 1024 generator (rosinality layout)",
                 "rosinality/stylegan2-pytorch (converted NVIDIA FFHQ config-f)", "generator"),
    KnownWeights("143_enc.pth", "encoder", "FeatureStyleEncoder (fs_encoder_v2) for FFHQ 1024",
                 "InterDigitalInc/FeatureStyleEncoder", "encoder"),
    KnownWeights("psp_ffhq_encode.pt", "latent_avg", "pSp FFHQ encoder; FSE takes latent_avg from it",
                 "eladrich/pixel2style2pixel", "encoder_checkpoint"),
    KnownWeights("restyle_psp_ffhq_encode.pt", "encoder", "ReStyle pSp encoder + decoder, FFHQ",
                 "yuval-alaluf/restyle-encoder", "encoder"),
    KnownWeights("restyle_e4e_ffhq_encode.pt", "encoder", "ReStyle e4e encoder + decoder, FFHQ",
                 "yuval-alaluf/restyle-encoder", "encoder"),
    KnownWeights("e2style_inversion.pt", "encoder", "E2Style multi-stage inversion encoder + decoder, FFHQ",
                 "wty-ustc/e2style", "encoder"),
    KnownWeights("hyper_inverter_ffhq.pt", "encoder",
                 "HyperInverter W encoder + weight hypernetworks, FFHQ (with the stylegan2-ada pickle below)",
                 "VinAIResearch/HyperInverter (model zoo)", "encoder"),
    KnownWeights("stylegan2-ffhq-config-f.pkl", "generator",
                 "NVIDIA stylegan2-ada FFHQ 1024 network pickle, HyperInverter's generator (no pickled code is run)",
                 "NVlabs/stylegan2-ada-pytorch (as named by HyperInverter)", "generator"),
    KnownWeights("ffhq.pkl", "generator", "NVIDIA stylegan2-ada FFHQ 1024 network pickle (STIT; no pickled code is run)",
                 "NVlabs/stylegan2-ada-pytorch pretrained networks", "generator"),
    KnownWeights("model_ir_se50.pth", "identity", "ArcFace IR-SE50 identity network (ID loss, ID metric)",
                 "TreB1eN/InsightFace_Pytorch (as used by pSp/ReStyle)", "state_dict"),
    KnownWeights("CurricularFace_Backbone.pth", "identity", "CurricularFace IR-101 identity network (ID metric)",
                 "HuangYG123/CurricularFace", "state_dict"),
    KnownWeights(ALEXNET_FILE, "lpips", "AlexNet ImageNet trunk of the LPIPS metric",
                 "torchvision (torch hub cache)", "state_dict", in_torch_hub=True),
    KnownWeights(FACE_ALIGNMENT_FILES[0], "landmarks", "face-alignment 68-point landmark network (optional backend)",
                 "1adrianb/face-alignment (torch hub cache)", "present", in_torch_hub=True),
    KnownWeights(FACE_ALIGNMENT_FILES[1], "landmarks", "face-alignment S3FD face detector (optional backend)",
                 "1adrianb/face-alignment (torch hub cache)", "present", in_torch_hub=True),
    KnownWeights("directions/smile.pt", "direction", "InterFaceGAN smile direction in W (1,512)",
                 "yuval-alaluf/restyle-encoder editing/interfacegan_directions", "direction"),
    KnownWeights("directions/age.pt", "direction", "InterFaceGAN age direction in W (1,512)",
                 "yuval-alaluf/restyle-encoder editing/interfacegan_directions", "direction"),
    KnownWeights("directions/pose.pt", "direction", "InterFaceGAN pose direction in W+ (1,18,512)",
                 "yuval-alaluf/restyle-encoder editing/interfacegan_directions", "direction"),
)


def search_dirs(weights_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for weights, in order."""
    dirs = []
    if weights_dir:
        dirs.append(Path(weights_dir).expanduser())
    if os.environ.get(ENV_VAR):
        dirs.extend(Path(p).expanduser() for p in os.environ[ENV_VAR].split(os.pathsep) if p)
    dirs.append(Path(platformdirs.user_cache_dir("vidinvert")) / "weights")
    return dirs


def find_weights(name: str, weights_dir: str | os.PathLike | None = None) -> Path | None:
    """First existing file called `name` in its search folders, or None."""
    known = next((k for k in KNOWN_WEIGHTS if k.name == name), None)
    for folder in known.folders(weights_dir) if known else search_dirs(weights_dir):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def require_weights(name: str, weights_dir: str | os.PathLike | None = None,
                    flag: str | None = None) -> Path:
    """Path of weights file `name`, or a WeightsError saying where it was looked for and how to add it."""
    found = find_weights(name, weights_dir)
    if found is not None:
        return found
    known = next((k for k in KNOWN_WEIGHTS if k.name == name), None)
    origin = f" (from {known.source})" if known else ""
    where = ", ".join(str(d) for d in (known.folders(weights_dir) if known else search_dirs(weights_dir)))
    hint = f", or pass {flag} PATH" if flag else ""
    raise WeightsError(f"{name}{origin} not found in {where}; place it in one of these folders "
                       f"(--weights-dir or ${ENV_VAR}){hint}")


@dataclass(frozen=True)
class WeightsStatus:
    entry: KnownWeights
    path: Path | None
    check: str  # "ok: ...", "missing", or "bad: ..."


def _check_generator(path: Path) -> str:
    from vidinvert.checkpoint import load_checkpoint
    from vidinvert.models.ada_generator import ada_generator_from_pickle
    from vidinvert.models.generator_file import generator_config, generator_state
    from vidinvert.models.network_pickle import is_network_pickle, read_network_pickle

    if is_network_pickle(path):
        state, _, _ = ada_generator_from_pickle(read_network_pickle(path))
        layout = "NVIDIA network pickle (G_ema)"
    else:
        state, _, layout = generator_state(load_checkpoint(path, what="generator"))
    cfg = generator_config(state)
    return f"{layout}, {cfg['size']}px"


def _check_state_dict(path: Path) -> str:
    from vidinvert.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path)
    if not isinstance(ckpt, dict) or not ckpt:
        raise WeightsError("not a state dict")
    n = sum(1 for v in ckpt.values() if hasattr(v, "shape"))
    return f"state dict, {n} tensors"


def _check_encoder_checkpoint(path: Path) -> str:
    from vidinvert.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path)
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise WeightsError("no 'state_dict' entry")
    return f"encoder checkpoint, {len(ckpt['state_dict'])} tensors"


def _check_encoder(path: Path) -> str:
    from vidinvert.models import load_encoder

    E = load_encoder(path)
    return f"{E.kind} encoder, {E.n_styles} latents, {E.input_size} px input"


def _check_present(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:.1f} MiB"


def _check_direction(path: Path) -> str:
    from vidinvert.checkpoint import load_checkpoint

    t = load_checkpoint(path, what="direction")
    shape = tuple(getattr(t, "shape", ()))
    if not shape or shape[-1] != 512:
        raise WeightsError(f"unexpected shape {shape}")
    return f"direction {shape}"


FORMAT_CHECKS: dict[str, Callable[[Path], str]] = {
    "generator": _check_generator,
    "state_dict": _check_state_dict,
    "encoder_checkpoint": _check_encoder_checkpoint,
    "encoder": _check_encoder,
    "present": _check_present,
    "direction": _check_direction,
}


def weights_status(weights_dir: str | os.PathLike | None = None,
                   entries: Iterable[KnownWeights] = KNOWN_WEIGHTS) -> list[WeightsStatus]:
    """Each known file: where it was found (if anywhere) and whether its format checks out."""
    out = []
    for entry in entries:
        path = next((f / entry.name for f in entry.folders(weights_dir) if (f / entry.name).is_file()), None)
        if path is None:
            out.append(WeightsStatus(entry, None, "missing"))
            continue
        try:
            out.append(WeightsStatus(entry, path, "ok: " + FORMAT_CHECKS[entry.check](path)))
        except WeightsError as exc:
            out.append(WeightsStatus(entry, path, f"bad: {exc}"))
    return out
