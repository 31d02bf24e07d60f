"""vidinvert: edit faces in real videos through a StyleGAN2 generator."""

__version__ = "0.1.0"
