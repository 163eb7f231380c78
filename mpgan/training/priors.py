"""The latent prior: one home for how noise (and, for conditional generators, classes)
are drawn, inside the compiled step and for sampling.

A generator's input is ``latent_dim`` Gaussian values ``N(0, std^2)``; a conditional
generator (one with a ``condition_dim`` attribute) takes a one-hot class after them.
Training draws classes with the data's frequencies; sampling may ask for given ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import MpganError
from ..lazy import lazy_module

tf = lazy_module("tensorflow")


@dataclass(frozen=True)
class LatentPrior:
    """Noise ``N(0, std^2)`` of width ``latent_dim``, then a one-hot class when
    ``num_classes`` > 0, drawn from ``class_prior`` (the data's frequencies)."""

    latent_dim: int
    std: float = 1.0
    num_classes: int = 0
    class_prior: tuple[float, ...] = ()

    @classmethod
    def for_generator(cls, generator, std: float, labels: np.ndarray | None,
                      class_prior: Sequence[float] | None = None) -> LatentPrior:
        """The prior a generator needs: its input width minus its condition width; classes
        drawn by ``class_prior`` (a private table's noisy frequencies) or the labels' own."""
        k = int(getattr(generator, "condition_dim", 0) or 0)
        latent = int(generator.input_shape[-1]) - k
        if not k:
            return cls(latent, float(std))
        if labels is None:
            raise MpganError("a conditional generator needs a dataset with class labels (for images, a "
                             "labelled dataset such as mnist or an image_folder with subfolders; for tables, "
                             "data.params.target)")
        if class_prior is not None:
            return cls(latent, float(std), k, tuple(float(c) for c in class_prior))
        counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=k)[:k]
        return cls(latent, float(std), k, tuple(float(c) for c in counts / counts.sum()))

    @property
    def width(self) -> int:
        return self.latent_dim + self.num_classes

    # -- inside the compiled step ------------------------------------------------------
    def draw(self, rng, shape) -> tf.Tensor:
        """Latents of ``shape + [width]`` from the seeded ``tf.random.Generator`` ``rng``."""
        z = rng.normal([*shape, self.latent_dim], stddev=self.std)
        if not self.num_classes:
            return z
        cdf = tf.constant(np.cumsum(self.class_prior)[:-1], tf.float32)
        u = rng.uniform(shape)
        k = tf.reduce_sum(tf.cast(u[..., None] >= cdf, tf.int32), axis=-1)
        return tf.concat([z, tf.one_hot(k, self.num_classes)], axis=-1)

    def labels_of(self, z: tf.Tensor) -> tf.Tensor | None:
        """The one-hot class part of latents (None for an unconditional prior)."""
        return z[..., self.latent_dim:] if self.num_classes else None

    # -- sampling ----------------------------------------------------------------------
    def sample(self, n: int, seed: int = 0, labels: int | np.ndarray | None = None) -> np.ndarray:
        """``n`` latents (float32) from NumPy seeded with ``seed``; ``labels`` (one class or
        one per row) fixes the classes of a conditional prior."""
        rng = np.random.default_rng(seed)
        z = (rng.standard_normal((n, self.latent_dim)) * self.std).astype(np.float32)
        if not self.num_classes:
            if labels is not None:
                raise MpganError("--label/labels= needs a conditional run (generator.params.conditional: "
                                 "true); this run's generator is unconditional")
            return z
        if labels is None:
            labels = rng.choice(self.num_classes, size=n, p=np.asarray(self.class_prior))
        labels = np.broadcast_to(np.asarray(labels), (n,))
        if labels.dtype.kind not in "iu" or labels.min(initial=0) < 0 or labels.max(initial=0) >= self.num_classes:
            raise MpganError(f"labels must be class indices in 0..{self.num_classes - 1}, got "
                             f"{np.unique(labels)[:5].tolist()}")
        return np.concatenate([z, np.eye(self.num_classes, dtype=np.float32)[labels]], axis=1)


__all__ = ["LatentPrior"]
