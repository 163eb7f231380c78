"""Generators, discriminators and classifiers; importing this registers them all.

Registered generators: ``mpgan_generator``, ``dcgan_generator``, ``mlp_generator``,
``toy_generator``, ``iid_generator``, ``spec``. Registered discriminators: ``mpgan_discriminator``,
``dcgan_discriminator``, ``mlp_discriminator``, ``toy_discriminator``, ``set_discriminator``,
``spec``, ``classifier_discriminator``. Every factory is ``factory(data_spec, **params)``;
generators map ``(batch, latent_dim)`` to ``(batch, *data_spec.shape)`` and
discriminators map a sample batch to ``(batch, 1)`` logits.
"""

from __future__ import annotations

from . import classifier, image, spec, tabular, toy
from ._checks import check_pair, latent_dim_of
from .classifier import (
    build_classifier,
    classifier_body,
    classifier_discriminator,
    classifier_features,
    train_classifier,
)
from .image import dcgan_discriminator, dcgan_generator, mpgan_discriminator, mpgan_generator
from .spec import COMMON_LAYERS, build_from_spec, spec_discriminator, spec_generator
from .tabular import mlp_discriminator, mlp_generator
from .toy import iid_generator, set_discriminator, toy_discriminator, toy_generator

__all__ = [
    "classifier", "image", "spec", "tabular", "toy",
    "check_pair", "latent_dim_of",
    "build_classifier", "classifier_body", "classifier_discriminator", "classifier_features",
    "train_classifier",
    "dcgan_discriminator", "dcgan_generator", "mpgan_discriminator", "mpgan_generator",
    "COMMON_LAYERS", "build_from_spec", "spec_discriminator", "spec_generator",
    "mlp_discriminator", "mlp_generator",
    "iid_generator", "set_discriminator", "toy_discriminator", "toy_generator",
]
