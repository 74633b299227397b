"""tenku: text-to-video you can own.

A causal video VAE, a diffusion transformer over spacetime patches, text conditioning and a
rectified-flow sampler; a built-in world simulator for training data and benchmarks; provenance
and safety on every output. See README.md for the map.
"""

__version__ = "0.1.0"
