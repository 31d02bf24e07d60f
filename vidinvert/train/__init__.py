"""Training: datasets, the StyleGAN2 generator trainer and the inversion encoder trainer."""
