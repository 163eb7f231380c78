"""Experiment studies: each reproduces a seed article's study as one command.

``mpgan experiment NAME [--quick] [--seeds N] [--jobs N] [--out DIR]`` runs one; each
writes ``results.csv``, ``results.md`` and PNG figures into its output folder
(default ``runs/studies/NAME``). ``experiments/NAME.py`` runs the same from a checkout.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

STUDIES = {
    "augmentation": "Does a conditional GAN trained on k digits per class help a classifier? (+ GAN-train/test)",
    "latent_trajectories": "Seed 004, exp. 3: latent planes, interpolations, is latent 0 a meaningful digit?",
    "optimizer_comparison": "Seed 004, exp. 1: SGD vs Adam vs RMSprop vs SGD->Adam (FID, coverage, time)",
    "pretrained_discriminator": "Seed 004, exp. 2: scratch vs pretrained vs frozen vs classifier-initialised D",
    "rayleigh": "Seed 000: learn Rayleigh(1) statistics (article schedule vs tuned)",
    "gaussian_modes": "Seed 001: steps to learn 1-10 Gaussian modes vs generator width",
    "normal_toy": "Seed 003: N(10, 1) from N(0, 2) latents; the discriminator before and after",
}


def run_study(name: str, argv: Sequence[str] | None = None) -> int:
    """Run study ``name`` with command-line arguments ``argv``."""
    from ..errors import UnknownNameError

    if name not in STUDIES:
        raise UnknownNameError(f"unknown study {name!r}; known studies: {', '.join(STUDIES)}")
    return importlib.import_module(f"{__name__}.{name}").main(argv)


__all__ = ["STUDIES", "run_study"]
