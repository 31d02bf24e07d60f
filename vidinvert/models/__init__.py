"""Models: the StyleGAN2 generator, inversion encoders and their file formats."""

from vidinvert.models.encoder_base import InversionEncoder
from vidinvert.models.encoders import load_encoder
from vidinvert.models.generator_file import load_generator, save_generator
from vidinvert.models.loaded import LoadedModels
from vidinvert.models.stylegan2 import Generator
from vidinvert.models.vidinvert_encoder import EncoderConfig, build_vidinvert_encoder, save_encoder

__all__ = [
    "EncoderConfig",
    "Generator",
    "InversionEncoder",
    "LoadedModels",
    "build_vidinvert_encoder",
    "load_encoder",
    "load_generator",
    "save_encoder",
    "save_generator",
]
