"""LPIPS and identity models: loaded only from files on disk, otherwise unavailable with the reason."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from vidinvert.errors import WeightsError
from vidinvert.metrics.identity import IdentityModel, cosine_similarity, load_identity_model
from vidinvert.metrics.perceptual import ALEXNET_FILE, Lpips, load_lpips
from vidinvert.metrics.pixel import to_unit_range
from vidinvert.metrics.unavailable import Unavailable


@pytest.fixture(scope="module")
def faces(shared_data) -> torch.Tensor:
    paths = sorted((shared_data / "faces" / "celebahq").glob("*.jpg"))[:4]
    return to_unit_range(np.stack([np.asarray(Image.open(p).convert("RGB").resize((64, 64))) for p in paths]))


def test_lpips_without_trunk_weights_is_unavailable(tmp_path):
    result = load_lpips(hub_dir=tmp_path)
    assert isinstance(result, Unavailable)
    assert str(tmp_path / "checkpoints" / ALEXNET_FILE) in result.reason


def test_lpips_without_the_package_is_unavailable(tmp_path):
    if importlib.util.find_spec("lpips") is not None and importlib.util.find_spec("torchvision") is not None:
        pytest.skip("lpips and torchvision are installed here")
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / ALEXNET_FILE).write_bytes(b"")
    result = load_lpips(hub_dir=tmp_path)
    assert isinstance(result, Unavailable) and "package is not installed" in result.reason


def test_lpips_on_this_machine(faces):
    result = load_lpips()
    if isinstance(result, Unavailable):
        assert result.metric == "lpips" and result.reason
        return
    assert isinstance(result, Lpips)
    assert torch.allclose(result(faces, faces), torch.zeros(len(faces)), atol=1e-6)
    assert (result(faces, faces.flip(0)) > 0.05).all()


def _tiny_embedder() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(128, 32))


def _loader(path, device):
    net = _tiny_embedder()
    net.load_state_dict(torch.load(path, weights_only=True))
    return net.to(device).eval()


def test_identity_found_in_weights_store(tmp_path, faces):
    torch.save(_tiny_embedder().state_dict(), tmp_path / "model_ir_se50.pth")
    model = load_identity_model(loader=_loader, weights_dir=tmp_path)
    assert isinstance(model, IdentityModel) and model.source.endswith("model_ir_se50.pth")
    embeddings = model.embed(faces)
    assert torch.allclose(embeddings.norm(dim=1), torch.ones(len(faces)))
    assert torch.allclose(cosine_similarity(embeddings, model.embed(faces)), torch.ones(len(faces)), atol=1e-6)
    assert (cosine_similarity(embeddings, model.embed(faces.flip(0))) < 0.9999).all()


def test_identity_without_weights_is_unavailable(tmp_path, monkeypatch):
    monkeypatch.delenv("VIDINVERT_WEIGHTS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = load_identity_model(weights_dir=tmp_path, loader=_loader)
    assert isinstance(result, Unavailable)
    assert "model_ir_se50.pth" in result.reason and "CurricularFace_Backbone.pth" in result.reason
    assert str(tmp_path / "cache" / "vidinvert" / "weights") in result.reason


def test_identity_given_path_must_exist(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        load_identity_model(tmp_path / "missing.pth", loader=_loader)
