"""Models: the StyleGAN2 generator and its file formats."""

from vidinvert.models.generator_file import load_generator, save_generator
from vidinvert.models.stylegan2 import Generator

__all__ = ["Generator", "load_generator", "save_generator"]
