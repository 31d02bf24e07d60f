"""The identity networks (ArcFace IR-SE50, CurricularFace IR-101) from files in the official layouts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from _fixtures_enc import restyle_encoder
from _fixtures_identity import write_identity_file
from vidinvert.errors import WeightsError
from vidinvert.metrics.identity import IdentityModel, cosine_similarity, load_identity_model
from vidinvert.models.identity import CURRICULARFACE_IR101, IR_SE50, load_identity_backbone


@pytest.fixture(scope="module")
def ir_se50_file(tmp_path_factory):
    return write_identity_file(tmp_path_factory.mktemp("arcface") / "model_ir_se50.pth")


@pytest.fixture(scope="module")
def faces(shared_data) -> torch.Tensor:
    """Three real aligned faces at 256 px, float in [-1, 1]."""
    paths = sorted((shared_data / "faces" / "celebahq").glob("*.jpg"))[:3]
    images = np.stack([np.asarray(Image.open(p).convert("RGB").resize((256, 256), Image.LANCZOS)) for p in paths])
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1


@pytest.fixture(scope="module")
def embed(ir_se50_file):
    return load_identity_backbone(ir_se50_file)


@pytest.fixture(scope="module")
def reference(embed, faces) -> torch.Tensor:
    return embed(faces)


def test_ir_se50_file_has_the_official_keys_and_shapes(ir_se50_file):
    state = torch.load(ir_se50_file, weights_only=True)
    # input layer 7 tensors; 21 units of 15 (BN, conv, PReLU, conv, BN, SE fc1/fc2) and the 3 group
    # openers 64->128->256->512 with 6 more (1x1 conv + BN); output layer 12.
    assert len(state) == 7 + 21 * 15 + 3 * 21 + 12
    assert state["input_layer.0.weight"].shape == (64, 3, 3, 3)
    assert "body.0.shortcut_layer.0.weight" not in state  # 64 -> 64: strided max-pool
    assert state["body.3.shortcut_layer.0.weight"].shape == (128, 64, 1, 1)
    assert state["body.23.res_layer.5.fc1.weight"].shape == (32, 512, 1, 1)
    assert state["output_layer.3.weight"].shape == (512, 512 * 7 * 7)
    assert state["output_layer.4.weight"].shape == (512,)
    assert max(int(k.split(".")[1]) for k in state if k.startswith("body.")) == 23


def test_ir_se50_embeds_real_faces_as_unit_vectors(embed, faces, reference):
    assert reference.shape == (3, 512)
    assert torch.allclose(reference.norm(dim=1), torch.ones(3), atol=1e-5)
    assert torch.allclose(embed(faces[:1]), reference[:1], atol=1e-5)  # batch-independent (eval mode)
    assert (cosine_similarity(reference, reference.roll(1, 0)) < 0.9999).all()
    # Any crop size goes through the same 256 px face region.
    small = torch.nn.functional.interpolate(faces[1:], size=128, mode="area")
    assert (cosine_similarity(embed(small), reference[1:]) > 0.9).all()


def test_only_the_psp_face_region_is_seen(embed, faces, reference):
    outside, inside = faces[:2].clone(), faces[:2].clone()
    outside[:, :, :35] = 1.0  # rows above the region
    outside[:, :, :, 220:] = -1.0  # columns right of it
    inside[:, :, 100:140, 100:140] = 1.0
    assert torch.allclose(embed(outside), reference[:2], atol=1e-6)
    assert (cosine_similarity(embed(inside), reference[:2]) < 0.9999).all()


def test_files_without_batch_counters_load(ir_se50_file, tmp_path, faces, reference):
    state = torch.load(ir_se50_file, weights_only=True)
    old = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert len(old) < len(state)
    torch.save(old, tmp_path / "model_ir_se50.pth")
    assert torch.allclose(load_identity_backbone(tmp_path / "model_ir_se50.pth")(faces[:1]), reference[:1], atol=1e-6)


def test_curricularface_ir101_loads_and_embeds(tmp_path, faces):
    path = write_identity_file(tmp_path / "CurricularFace_Backbone.pth", CURRICULARFACE_IR101)
    state = torch.load(path, weights_only=True)
    assert max(int(k.split(".")[1]) for k in state if k.startswith("body.")) == 48
    assert not any(".fc1." in k for k in state)  # plain IR units, no SE gate
    assert "output_layer.4.weight" not in state and state["output_layer.4.running_var"].shape == (512,)
    model = load_identity_model(weights_dir=tmp_path)
    assert isinstance(model, IdentityModel) and model.source == str(path)
    embeddings = model.embed((faces[:1] + 1) / 2)
    assert embeddings.shape == (1, 512) and torch.allclose(embeddings.norm(dim=1), torch.ones(1), atol=1e-5)


def test_ir_se50_layout_facts():
    assert (IR_SE50.units, IR_SE50.se, IR_SE50.affine_embedding) == (24, True, True)
    assert (CURRICULARFACE_IR101.units, CURRICULARFACE_IR101.se) == (49, False)


def test_wrong_files_are_weights_errors(tmp_path, ir_se50_file):
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    with pytest.raises(WeightsError, match="empty"):
        load_identity_backbone(empty)
    encoder = tmp_path / "encoder.pth"
    torch.save(restyle_encoder("resnet34", progressive=False).state_dict(), encoder)
    with pytest.raises(WeightsError, match="not an IR-SE50/CurricularFace identity backbone"):
        load_identity_backbone(encoder)
    state = torch.load(ir_se50_file, weights_only=True)
    truncated = tmp_path / "truncated.pth"
    torch.save({k: v for k, v in state.items() if not k.startswith("body.23.")}, truncated)
    with pytest.raises(WeightsError, match="23 IR-SE units is not a known layout"):
        load_identity_backbone(truncated)
    reshaped = tmp_path / "reshaped.pth"
    torch.save(dict(state, **{"output_layer.3.weight": torch.zeros(512, 512 * 4 * 4)}), reshaped)
    with pytest.raises(WeightsError, match="do not match the expected layout"):
        load_identity_backbone(reshaped)
    nested = tmp_path / "nested.pth"
    torch.save({"state_dict": {"input_layer.0.weight": state["input_layer.0.weight"]}}, nested)
    with pytest.raises(WeightsError, match="bare state dict"):
        load_identity_backbone(nested)
    # Through the metric: a bad file in the weights store is an error, not a silent "unavailable".
    store = tmp_path / "store"
    store.mkdir()
    (store / "model_ir_se50.pth").write_bytes(encoder.read_bytes())
    with pytest.raises(WeightsError):
        load_identity_model(weights_dir=store)
