"""Every figure mpgan draws. The only module that imports matplotlib (Agg backend
when there is no display); figures are saved as PNG atomically."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

if not os.environ.get("DISPLAY") and os.environ.get("MPLBACKEND") is None:
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .io import atomic_path  # noqa: E402


def _save(fig: plt.Figure, path: str | Path, dpi: int = 100) -> Path:
    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def grid_array(images: np.ndarray, ncols: int | None = None, pad: int = 1) -> np.ndarray:
    """Tile ``(n, H, W)`` or ``(n, H, W, 1)`` images into one 2-D array (pad = background)."""
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    n, h, w = images.shape
    ncols = ncols or int(math.ceil(math.sqrt(n)))
    nrows = int(math.ceil(n / ncols))
    fill = images.min() if n else 0
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad), fill, dtype=images.dtype)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = img
    return out


def save_image_grid(images: np.ndarray, path: str | Path, ncols: int | None = None,
                    title: str | None = None, scale: float = 0.45) -> Path:
    """Save grayscale images (uint8 0..255 or floats) as one PNG grid."""
    grid = grid_array(images, ncols)
    h, w = grid.shape
    fig = plt.figure(figsize=(max(2.0, w * scale / 10), max(2.0, h * scale / 10 + (0.3 if title else 0))))
    ax = fig.add_axes([0, 0, 1, 0.92 if title else 1])
    vmin, vmax = (0, 255) if grid.dtype == np.uint8 else (None, None)
    ax.imshow(grid, cmap="gray_r", vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def save_image_panels(panels: Sequence[np.ndarray], titles: Sequence[str], path: str | Path,
                      ncols: int | None = None) -> Path:
    """Several image grids side by side, one title each (e.g. the same latents at epochs)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.5), squeeze=False)
    for ax, images, title in zip(axes[0], panels, titles, strict=True):
        grid = grid_array(images, ncols)
        vmin, vmax = (0, 255) if grid.dtype == np.uint8 else (None, None)
        ax.imshow(grid, cmap="gray_r", vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    return _save(fig, path)


def plot_history(history: pd.DataFrame, out_dir: str | Path, smooth: int | None = None) -> list[Path]:
    """The two plots of seed 000: losses per iteration and discriminator accuracy per iteration."""
    out_dir = Path(out_dir)
    x = history["step"].to_numpy()
    smooth = smooth or max(1, len(history) // 200)
    paths = []
    for fname, cols, ylabel in (
        ("losses.png", [c for c in history.columns if "loss" in c], "loss"),
        ("accuracy.png", [c for c in history.columns if "acc" in c], "discriminator accuracy"),
    ):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        for col in cols:
            y = history[col].to_numpy(dtype=float)
            if smooth > 1:
                y = pd.Series(y).rolling(smooth, min_periods=1).mean().to_numpy()
            ax.plot(x, y, label=col, lw=1)
        if "acc" in fname:
            ax.axhline(0.5, color="gray", lw=0.8, ls="--")
            ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("iteration")
        ax.set_ylabel(ylabel + (f" (rolling mean of {smooth})" if smooth > 1 else ""))
        ax.legend(fontsize=8, loc="best")
        ax.grid(alpha=0.3)
        paths.append(_save(fig, out_dir / fname))
    return paths


def plot_toy_samples(real: np.ndarray, fake: np.ndarray, path: str | Path, title: str | None = None,
                     density=None, bins: int = 80) -> Path:
    """Histogram of generated values against real ones (and a density curve if given)."""
    real = np.asarray(real, dtype=float).ravel()
    fake = np.asarray(fake, dtype=float).ravel()
    lo = min(np.percentile(real, 0.1), np.percentile(fake, 0.1))
    hi = max(np.percentile(real, 99.9), np.percentile(fake, 99.9))
    edges = np.linspace(lo, hi, bins + 1)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(real, bins=edges, density=True, alpha=0.45, label="real")
    ax.hist(fake, bins=edges, density=True, alpha=0.45, label="generated")
    if density is not None:
        xs = np.linspace(lo, hi, 400)
        ax.plot(xs, density(xs), "k-", lw=1.2, label="density")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return _save(fig, path)
