"""A scale for FID: the FID of real images with known damage, on the same extractor and n.

An FID computed on a classifier trained on the dataset itself means nothing on its
own. The ladder gives it a scale: real held-out images (the floor a perfect
generator would reach at this n), then the same images with Gaussian pixel noise,
blurred through a lower resolution, or restricted to half the classes (the mode
collapse a GAN is known for). A run's FID is read by where it falls on the ladder.

Damage is applied in pixel units: noise ``σ`` is a fraction of the full pixel range
(σ 0.1 = 25.5 grey levels), added and clipped; "blur 14×14" resizes down to 14×14
and back up (bilinear, antialiased), which removes detail finer than that grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MpganError
from .images import fid_from_features

if TYPE_CHECKING:
    from .features import FeatureExtractor


@dataclass(frozen=True)
class Rung:
    """One step of the ladder: a name, a label for tables, and what is done to the images."""

    name: str
    label: str
    noise: float = 0.0
    blur: int = 0
    classes: int = 0  # keep only images of the first ``classes`` label classes


LADDER: tuple[Rung, ...] = (
    Rung("real", "real held-out (floor)"),
    Rung("noise_0.1", "real + noise σ 0.1", noise=0.1),
    Rung("noise_0.2", "real + noise σ 0.2", noise=0.2),
    Rung("noise_0.3", "real + noise σ 0.3", noise=0.3),
    Rung("blur_14", "real blurred through 14×14", blur=14),
    Rung("blur_8", "real blurred through 8×8", blur=8),
    Rung("classes_5", "real, only 5 classes", classes=5),
)


def degrade(x: np.ndarray, rung: Rung, rng: np.random.Generator) -> np.ndarray:
    """``x`` (model space [-1, 1], ``(n, H, W, 1)``) with ``rung``'s noise or blur applied."""
    x = np.asarray(x, dtype=np.float32)
    if rung.noise:
        # [-1, 1] spans the pixel range twice over [0, 1]: σ in pixel units is 2σ here.
        x = np.clip(x + rng.normal(0.0, 2.0 * rung.noise, size=x.shape).astype(np.float32), -1.0, 1.0)
    if rung.blur:
        from ..data.images import model_to_pixels, pixels_to_model, resize_images

        h, w = x.shape[1:3]
        small = resize_images(model_to_pixels(x).astype(np.float32), (rung.blur, rung.blur))
        x = pixels_to_model(resize_images(small, (h, w)))[..., None]
    return x


def _draw(pool_x: np.ndarray, pool_y: np.ndarray | None, rung: Rung, n: int,
          rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """``n`` pool images for ``rung`` (with replacement only when the pool is too small)."""
    idx = np.arange(len(pool_x))
    if rung.classes:
        if pool_y is None:
            raise MpganError("the 'only 5 classes' rung needs labelled real images")
        idx = idx[np.isin(pool_y, np.unique(pool_y)[:rung.classes])]
    replace = len(idx) < n
    chosen = rng.choice(idx, size=n, replace=replace)
    return pool_x[chosen], len(np.unique(chosen))


def calibration_ladder(reference: np.ndarray, pool_x: np.ndarray, pool_y: np.ndarray | None,
                       extractor: FeatureExtractor, n: int | None = None, seed: int = 0,
                       rungs: Sequence[Rung] = LADDER) -> dict[str, Any]:
    """FID of each damaged-real rung against ``reference``, all at the same ``n``.

    ``reference`` and ``pool_x`` are disjoint real images (model space); a run's
    generated samples are scored against the same ``reference``. Returns
    ``{"rungs": {name: {"label", "fid", "n", "n_unique"}}, "n", "extractor"}``.
    """
    reference, pool_x = np.asarray(reference), np.asarray(pool_x)
    n = int(min(len(reference), len(pool_x)) if n is None else n)
    if n < 2 or n > len(reference):
        raise MpganError(f"calibration ladder: n must be between 2 and the {len(reference)} reference "
                         f"images, got {n}")
    rng = np.random.default_rng(seed)
    f_ref = extractor.features(reference[:n])
    out: dict[str, Any] = {}
    for rung in rungs:
        x, unique = _draw(pool_x, pool_y, rung, n, rng)
        fid = fid_from_features(f_ref, extractor.features(degrade(x, rung, rng)))["value"]
        out[rung.name] = {"label": rung.label, "fid": fid, "n": n, "n_unique": unique}
    return {"rungs": out, "n": n, "extractor": extractor.id}


def place(fid: float, ladder: dict[str, Any]) -> str:
    """Where ``fid`` falls among the floor and the noise rungs, in words."""
    rungs = ladder["rungs"]
    steps = [(r["fid"], r["label"]) for k, r in rungs.items() if k == "real" or k.startswith("noise")]
    steps.sort()
    if fid < steps[0][0]:
        return f"below {steps[0][1]}"
    for (lo, lo_name), (hi, hi_name) in zip(steps, steps[1:], strict=False):
        if fid < hi:
            return f"between {lo_name} ({lo:.1f}) and {hi_name} ({hi:.1f})"
    return f"above {steps[-1][1]} ({steps[-1][0]:.1f})"


__all__ = ["LADDER", "Rung", "calibration_ladder", "degrade", "place"]
