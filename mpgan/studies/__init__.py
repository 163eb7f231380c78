"""Experiment studies: each reproduces a seed article's study as one command.

``mpgan experiment NAME [--quick] [--seeds N] [--jobs N] [--out DIR]`` runs one; each
writes ``results.csv``, ``results.md`` and PNG figures into its output folder
(default ``runs/studies/NAME``). ``experiments/NAME.py`` runs the same from a checkout.

A study is a :class:`Study` in the ``STUDIES`` registry: each module here registers its
own, and a module of yours (imported, or named by an ``mpgan.plugins`` entry point)
registers more the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..registry import STUDIES
from . import (  # noqa: F401  (each registers its study)
    augmentation,
    gaussian_modes,
    latent_trajectories,
    normal_toy,
    optimizer_comparison,
    pretrained_discriminator,
    rayleigh,
)
from .base import Option, Study, StudyRun, option, register


def run_study(name: str, argv: Sequence[str] | None = None) -> int:
    """Run the registered study ``name`` with command-line arguments ``argv``, as
    ``mpgan experiment NAME ARGV`` does; an unknown name lists the known ones."""
    return STUDIES.get(name)(argv)


__all__ = ["STUDIES", "Option", "Study", "StudyRun", "option", "register", "run_study"]
