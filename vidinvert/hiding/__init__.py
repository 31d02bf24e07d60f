"""Hiding a face's latent code in the least significant bits of a picture (E2Style's secure deep
hiding): the header, the bit layout, the quantised code and its seal (docs/hiding.md)."""
