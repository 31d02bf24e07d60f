"""The models of a worker process, loaded once per model configuration and kept for its next videos
(`batch` and `eval` alike, in this process or in a Ray worker)."""

from __future__ import annotations

from vidinvert.config import ModelConfig
from vidinvert.models import LoadedModels

_LOADED: dict[ModelConfig, LoadedModels] = {}


def cached_models(models: ModelConfig) -> LoadedModels:
    """The models `models` names, loaded on first use in this process."""
    if models not in _LOADED:
        from vidinvert.loading import load_configured_models

        _LOADED[models] = load_configured_models(models)
    return _LOADED[models]
