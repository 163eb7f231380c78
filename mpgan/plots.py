"""Every figure mpgan draws. The only module that imports matplotlib (Agg backend
when there is no display); figures are saved as PNG atomically."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


def plot_class_histogram(histogram: list[float] | dict, path: str | Path,
                         class_names: Sequence[str] | None = None, title: str | None = None) -> Path:
    """Bar chart of the generated class shares, with dashed lines at the fair share 1/K and
    at half of it (below which ``mode_coverage`` counts a class as missing).

    ``histogram`` is a list of K shares, a ``mode_coverage`` result (its ``histogram``
    and ``class_names`` are used) or a mapping ``{class name: share}``.
    """
    from .errors import MpganError

    if isinstance(histogram, dict) and "histogram" in histogram:
        class_names = class_names or histogram.get("class_names")
        histogram = histogram["histogram"]
    if isinstance(histogram, dict):
        class_names = class_names or [str(k) for k in histogram]
        histogram = list(histogram.values())
    shares = np.asarray(histogram, dtype=float).ravel()
    k = len(shares)
    if k == 0:
        raise MpganError("plot_class_histogram needs at least one class share")
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise MpganError(f"plot_class_histogram got {len(names)} class names for {k} shares")
    fair = 1.0 / k
    colors = ["tab:red" if s < fair / 2 else "tab:blue" for s in shares]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.5 * k + 1.5), 3.2))
    ax.bar(np.arange(k), shares, color=colors)
    ax.axhline(fair, color="black", ls="--", lw=1, label=f"fair share 1/{k}")
    ax.axhline(fair / 2, color="gray", ls="--", lw=1, label="half the fair share (missing below)")
    ax.set_xticks(np.arange(k))
    rotate = max(len(n) for n in names) > 3
    ax.set_xticklabels(names, rotation=45 if rotate else 0, ha="right" if rotate else "center", fontsize=8)
    ax.set_xlabel("class")
    ax.set_ylabel("share of generated samples")
    ax.set_ylim(0, max(float(shares.max()), fair) * 1.15)
    ax.legend(fontsize=7, loc="best")
    if title:
        ax.set_title(title, fontsize=9)
    return _save(fig, path)


# =============================================================================
# Distribution and table metrics (mpgan.metrics.stats / mpgan.metrics.tabular)
# =============================================================================


def _finite(values) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    return v[np.isfinite(v)]


def plot_histogram_vs_density(samples, path: str | Path, density=None, title: str | None = None,
                              bins: int = 80, xlabel: str | None = None,
                              density_label: str = "density") -> Path:
    """Histograms of one or more 1-D samples (``{"generated": x, ...}``, or one array) against
    a density curve (a callable such as ``scipy.stats.rayleigh().pdf``), as seed 000 plots
    generated values against the theoretical Rayleigh density."""
    from .errors import DataError

    if not isinstance(samples, dict):
        samples = {"generated": samples}
    arrays = {str(k): _finite(v) for k, v in samples.items()}
    empty = [k for k, v in arrays.items() if v.size == 0]
    if not arrays or empty:
        raise DataError(f"plot_histogram_vs_density needs non-empty samples; empty: {empty or 'all'}")
    lo = min(np.percentile(v, 0.1) for v in arrays.values())
    hi = max(np.percentile(v, 99.9) for v in arrays.values())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, int(bins) + 1)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, v in arrays.items():
        ax.hist(v, bins=edges, density=True, alpha=0.45 if len(arrays) > 1 else 0.6,
                label=f"{name} (n={v.size})")
    if density is not None:
        xs = np.linspace(lo, hi, 400)
        ax.plot(xs, np.asarray(density(xs), dtype=float), "k-", lw=1.2, label=density_label)
    ax.set_xlabel(xlabel or "value")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return _save(fig, path)


def plot_correlation_heatmaps(real_corr, fake_corr, path: str | Path, labels: Sequence[str] | None = None,
                              title: str | None = None) -> Path:
    """Real and synthetic correlation matrices side by side on one colour scale [-1, 1], and a
    third panel with their difference (synthetic − real, its own symmetric scale).
    Undefined correlations (constant columns) are grey."""
    from .errors import DataError

    if labels is None and isinstance(real_corr, pd.DataFrame):
        labels = [str(c) for c in real_corr.columns]
    r, f = np.asarray(real_corr, dtype=float), np.asarray(fake_corr, dtype=float)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape != f.shape:
        raise DataError(f"correlation matrices must be square and of one shape, got {r.shape} and {f.shape}")
    diff = f - r
    k = r.shape[0]
    side = min(max(3.0, 0.17 * k + 1.5), 6.5)
    fig, axes = plt.subplots(1, 3, figsize=(3 * side + 2, side + 0.4), constrained_layout=True)
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="0.85")
    dcmap = plt.get_cmap("PuOr_r").with_extremes(bad="0.85")
    m = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 0.0
    m = max(m, 0.05)
    images = [axes[0].imshow(np.ma.masked_invalid(r), cmap=cmap, vmin=-1, vmax=1),
              axes[1].imshow(np.ma.masked_invalid(f), cmap=cmap, vmin=-1, vmax=1),
              axes[2].imshow(np.ma.masked_invalid(diff), cmap=dcmap, vmin=-m, vmax=m)]
    fig.colorbar(images[0], ax=axes[:2], shrink=0.8, label="Pearson correlation")
    fig.colorbar(images[2], ax=axes[2], shrink=0.8, label="synthetic − real")
    finite = np.abs(diff[np.isfinite(diff)])
    titles = ["real", "synthetic",
              f"difference (max |Δ| {finite.max():.2f})" if finite.size else "difference"]
    for ax, t in zip(axes, titles, strict=True):
        ax.set_title(t, fontsize=10)
        if labels is not None and k <= 40:
            fs = 8 if k <= 15 else 6
            ax.set_xticks(range(k), labels, rotation=90, fontsize=fs)
            ax.set_yticks(range(k), labels, fontsize=fs)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=11)
    return _save(fig, path)


def _column_kind(c, r: pd.Series, kinds: dict | None) -> Any:
    """Column ``c``'s kind (its ``plot`` says how it is drawn: "histogram", "integer" or
    "bars"), from ``kinds`` or else from the schema's one rule applied to the real column;
    None for a column no rule can read (e.g. all missing: its one bar says so)."""
    from .column_kinds import get_kind, infer_kind
    from .errors import DataError

    name = (kinds or {}).get(str(c)) or (kinds or {}).get(c)
    if name is None:
        try:
            name = infer_kind(c, r)
        except DataError:
            return None
    return get_kind(name)


def histogram_edges(values: np.ndarray, bins: int = 30, integer: bool = False) -> np.ndarray:
    """Bin edges for a column's histogram: ``bins`` even bins over the central 99 % of
    ``values``, or (``integer``) bins a whole number wide (several when the range is wider
    than ``bins``) centred on the integers, so no bin splits or merges counts unevenly."""
    v = _finite(values)
    lo, hi = (np.percentile(v, 0.5), np.percentile(v, 99.5)) if v.size else (0.0, 1.0)
    if integer:
        lo, hi = math.floor(lo), math.ceil(hi)
        width = max(1, math.ceil((hi - lo + 1) / bins))
        return np.arange(lo - 0.5, hi + 0.5 + width, width, dtype=float)[: (hi - lo) // width + 2]
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, bins + 1)


def _draw_numbers(ax, r: pd.Series, f: pd.Series, labels: tuple[str, str], bins: int, kind: Any) -> None:
    """Real and synthetic histograms of the kind's numbers (dates: seconds) on shared bins
    (:func:`histogram_edges`)."""
    integer = kind.plot == "integer"
    rv, fv = _finite(kind.numbers(r)), _finite(kind.numbers(f))
    edges = histogram_edges(np.concatenate([rv, fv]), bins, integer)
    for v, lab in ((rv, labels[0]), (fv, labels[1])):
        if v.size:
            ax.hist(v, bins=edges, density=True, alpha=0.5, label=lab)  # tails beyond 0.5/99.5% left out


def _draw_bars(ax, r: pd.Series, f: pd.Series, labels: tuple[str, str], max_shown: int) -> None:
    """Category shares side by side, the ``max_shown`` most frequent real ones, in the
    canonical label form (1 and 1.0 are one category "1", missing is "<NA>")."""
    from .column_kinds import category_labels

    p = pd.Series(category_labels(r)).value_counts(normalize=True)
    q = pd.Series(category_labels(f)).value_counts(normalize=True)
    cats = list(p.index[:max_shown])
    x = np.arange(len(cats))
    ax.bar(x - 0.2, [p.get(k, 0.0) for k in cats], width=0.4, label=labels[0])
    ax.bar(x + 0.2, [q.get(k, 0.0) for k in cats], width=0.4, label=labels[1])
    ax.set_xticks(x, [k if len(k) <= 10 else k[:9] + "…" for k in cats], rotation=45 if len(cats) > 4 else 0,
                  fontsize=7)
    ax.set_ylabel("share", fontsize=7)


def plot_column_histograms(real: pd.DataFrame, fake: pd.DataFrame, path: str | Path,
                           columns: Sequence | None = None, max_columns: int = 16,
                           kinds: dict | None = None, labels: tuple[str, str] = ("real", "synthetic"),
                           bins: int = 30, max_categories_shown: int = 12) -> Path:
    """A grid of per-column plots, real vs synthetic, each drawn as its column kind declares
    (:mod:`mpgan.column_kinds`): histograms (numeric), whole-number bins (integer) and bar
    charts of category shares (categorical, the ``max_categories_shown`` most frequent real
    ones). ``kinds`` maps column -> kind name; columns it leaves out get the kind the
    schema's one rule gives the real column, as everywhere else in mpgan."""
    from .errors import DataError

    cols = list(real.columns) if columns is None else list(columns)
    missing = [c for c in cols if c not in real.columns or c not in fake.columns]
    if missing:
        raise DataError(f"plot_column_histograms: the columns {missing} are not in both tables")
    total = len(cols)
    cols = cols[:max_columns]
    if not cols:
        raise DataError("plot_column_histograms needs at least one column")
    ncols = min(4, len(cols))
    nrows = int(math.ceil(len(cols) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.6 * nrows), squeeze=False)
    for ax, c in zip(axes.ravel(), cols, strict=False):
        kind = _column_kind(c, real[c], kinds)
        if kind is None or kind.plot == "bars":
            _draw_bars(ax, real[c], fake[c], labels, max_categories_shown)
        else:
            _draw_numbers(ax, real[c], fake[c], labels, bins, kind)
        ax.set_title(str(c), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(cols):]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=7)
    if total > len(cols):
        fig.suptitle(f"first {len(cols)} of {total} columns", fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def _panel_grid(rows: list[list[Any]], width: float, height: float) -> tuple[Any, list[tuple[int, int, Any, Any]]]:
    """A figure with a panel per cell (rows of cells, the longest row sets the columns; the
    axes past a shorter row's end are blanked) and ``(row, column, axes, cell)`` per cell."""
    ncols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(width * ncols, height * len(rows)), squeeze=False)
    for i, r in enumerate(rows):
        for j in range(len(r), ncols):
            axes[i][j].axis("off")
    return fig, [(i, j, axes[i][j], cell) for i, r in enumerate(rows) for j, cell in enumerate(r)]


def plot_histogram_grid(cells: Sequence[Sequence[dict]], path: str | Path, density=None,
                        bins: int = 60, density_label: str = "density", title: str | None = None,
                        share_x: str = "all") -> Path:
    """A grid of histogram panels, e.g. settings (rows) x training iterations (columns).

    Each cell is ``{"title": str, "samples": {label: values}}`` and may carry its own
    ``"density"`` (a callable); otherwise ``density`` is drawn in every panel, as seed 000
    draws the Rayleigh pdf, and a ``"support"`` (lo, hi) to keep in view. ``share_x="all"``
    gives every panel one x range, ``"row"`` one per row (rows of different distributions).
    """
    rows = [list(r) for r in cells]
    if not rows or any(_finite(v).size == 0 for r in rows for c in r for v in c["samples"].values()) \
            or not any(r for r in rows):
        raise ValueError("plot_histogram_grid needs cells with non-empty samples")

    def edges_of(row_cells):
        vals = [_finite(v) for c in row_cells for v in c["samples"].values()]
        lo = min(np.percentile(v, 0.1) for v in vals)
        hi = max(np.percentile(v, 99.9) for v in vals)
        for c in row_cells:  # a cell's "support" (lo, hi) stays in view, e.g. modes nobody generates
            if "support" in c:
                lo, hi = min(lo, c["support"][0]), max(hi, c["support"][1])
        return np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)

    shared = edges_of([c for r in rows for c in r]) if share_x == "all" else None
    fig, panels = _panel_grid(rows, 3.4, 2.6)
    for i, j, ax, cell in panels:
        edges = shared if shared is not None else edges_of(rows[i])
        for label, v in cell["samples"].items():
            ax.hist(_finite(v), bins=edges, density=True, alpha=0.5, label=label)
        dens = cell.get("density", density)
        if dens is not None:
            xs = np.linspace(edges[0], edges[-1], 400)
            ax.plot(xs, np.asarray(dens(xs), dtype=float), "k-", lw=1.1, label=density_label)
        ax.set_title(cell.get("title", ""), fontsize=8)
        ax.tick_params(labelsize=7)
        if i == 0 and j == 0:
            ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def plot_steps_vs_width(results: pd.DataFrame, path: str | Path, max_steps: int) -> Path:
    """Seed 001's question in one figure: steps to convergence against generator width,
    one line per number of modes (median over seeds; runs that never converged drawn at the
    budget with open markers), and the smallest width that converges against the modes."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    min_width = {}
    for k, grp in results.groupby("modes"):
        g = grp.groupby("width")
        conv = g["converged"].mean()
        med = g["steps_to_converge"].median()
        widths = conv.index.to_numpy()
        y = np.where(conv.to_numpy() > 0.5, med.to_numpy(), np.nan)
        line, = ax.plot(widths, y, "o-", label=f"{k} mode{'s' if k > 1 else ''}")
        failed = conv.to_numpy() <= 0.5
        ax.plot(widths[failed], np.full(failed.sum(), max_steps), "o", mfc="none", color=line.get_color())
        ok = widths[~failed]
        min_width[k] = ok.min() if ok.size else np.nan
    ax.axhline(max_steps, color="gray", lw=0.8, ls=":")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("generator hidden width")
    ax.set_ylabel("steps to convergence (median over seeds)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ks = np.array(sorted(min_width))
    ax2.plot(ks, [min_width[k] for k in ks], "o-")
    ax2.set_xlabel("number of modes")
    ax2.set_ylabel("smallest width that converges")
    ax2.grid(alpha=0.3)
    return _save(fig, path)


def plot_discriminator_views(panels: Sequence[Sequence[dict]], path: str | Path, bins: int = 60) -> Path:
    """Seed 003's picture: real and generated histograms with the discriminator's
    probability of "real" over x and the 0.5 threshold. Each panel is a dict with
    ``real``, ``fake`` (samples), ``xs``, ``d`` (D's probability at ``xs``) and ``title``."""
    fig, cells = _panel_grid([list(r) for r in panels], 4.6, 3.0)
    for i, j, ax, p in cells:
        xs = np.asarray(p["xs"], dtype=float)
        edges = np.linspace(xs[0], xs[-1], bins + 1)
        ax.hist(_finite(p["real"]), bins=edges, density=True, alpha=0.45, color="tab:green", label="real")
        ax.hist(_finite(p["fake"]), bins=edges, density=True, alpha=0.45, color="tab:red", label="generated")
        ax.set_ylabel("density", fontsize=8)
        ax2 = ax.twinx()
        ax2.plot(xs, np.asarray(p["d"], dtype=float), "k-", lw=1.2, label="D(x) = P(real)")
        ax2.axhline(0.5, color="gray", ls="--", lw=0.8, label="threshold 0.5")
        ax2.set_ylim(-0.02, 1.02)
        ax2.set_ylabel("D(x)", fontsize=8)
        ax.set_title(p.get("title", ""), fontsize=8)
        ax.tick_params(labelsize=7)
        ax2.tick_params(labelsize=7)
        if i == 0 and j == 0:
            h1, l1 = ax.get_legend_handles_labels()
            h2, l2 = ax2.get_legend_handles_labels()
            ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper left")
    fig.tight_layout()
    return _save(fig, path)


def save_image_table(rows: Sequence[Sequence[np.ndarray]], path: str | Path, row_labels: Sequence[str],
                     col_titles: Sequence[str], ncols: int | None = None) -> Path:
    """Image grids in a table: e.g. one row per optimizer, one column per epoch, the same
    latents everywhere (the MP-GAN article's Fig. 5)."""
    nr, nc = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(nr, nc, figsize=(2.6 * nc, 2.7 * nr), squeeze=False)
    for i, r in enumerate(rows):
        for j in range(nc):
            ax = axes[i][j]
            ax.axis("off")
            if j >= len(r):
                continue
            grid = grid_array(r[j], ncols)
            vmin, vmax = (0, 255) if grid.dtype == np.uint8 else (None, None)
            ax.imshow(grid, cmap="gray_r", vmin=vmin, vmax=vmax, interpolation="nearest")
            ax.set_title(f"{row_labels[i]} — {col_titles[j]}", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_metric_bands(df: pd.DataFrame, x: str, y: str, group: str, path: str | Path,
                      ylabel: str | None = None, title: str | None = None, logy: bool = False,
                      references: dict[str, float] | None = None) -> Path:
    """``y`` against ``x`` per ``group``: the mean over seeds as a line, ± one std as a band;
    ``references`` (label -> value) are drawn as dashed horizontal lines, e.g. a FID ladder."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for i, (label, value) in enumerate((references or {}).items()):
        ax.axhline(value, color="0.5", ls=(0, (4, 2 + 2 * i)), lw=0.8)
        ax.annotate(label, (1.0, value), xycoords=("axes fraction", "data"), fontsize=6, color="0.35",
                    ha="right", va="bottom")
    for name, g in df.groupby(group, sort=False):
        stats = g.groupby(x)[y].agg(["mean", "std", "count"]).reset_index()
        line, = ax.plot(stats[x], stats["mean"], "o-", ms=3, label=f"{name} (n={int(stats['count'].max())})")
        sd = stats["std"].fillna(0).to_numpy()
        lower = stats["mean"] - sd
        if logy:  # a band reaching 0 or below cannot be drawn on a log axis
            lower = np.maximum(lower, stats["mean"] / 10)
        ax.fill_between(stats[x], lower, stats["mean"] + sd, color=line.get_color(), alpha=0.2)
    ax.set_xlabel(x)
    ax.set_ylabel(ylabel or y)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return _save(fig, path)


def plot_quality_curve(curve: pd.DataFrame, ladder: dict[str, float], path: str | Path,
                       title: str | None = None) -> Path:
    """FID (left) and classifier confidence (right) against training minutes, with the
    calibration ladder's rungs as dashed reference lines on the FID axis.

    ``curve`` has columns ``minutes``, ``fid`` and, optionally, ``confidence``; ``ladder``
    maps rung labels to their FID.
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax.plot(curve["minutes"], curve["fid"], "o-", ms=3, color="C0", label="run")
    for i, (label, value) in enumerate(ladder.items()):
        ax.axhline(value, ls="--", lw=0.8, color=f"C{i + 1}", label=f"{label} ({value:.1f})")
    ax.set_yscale("log")
    ax.set_xlabel("training minutes")
    ax.set_ylabel("FID vs held-out real (log)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    if "confidence" in curve:
        ax2.plot(curve["minutes"], curve["confidence"], "o-", ms=3, color="C0")
        ax2.set_xlabel("training minutes")
        ax2.set_ylabel("mean classifier confidence")
        ax2.grid(alpha=0.3)
    else:
        ax2.axis("off")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def plot_sweep(results: pd.DataFrame, summary: pd.DataFrame, path: str | Path, ylabel: str = "value") -> Path:
    """A sweep: each setting's seeds as dots and its mean with the 95 % interval, best on top."""
    order = list(summary["setting"])
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.35 * len(order)))
    for y, name in enumerate(reversed(order)):
        row = summary[summary["setting"] == name].iloc[0]
        vals = results.loc[results["setting"] == name, "value"].to_numpy(dtype=float)
        ax.plot(vals, np.full(len(vals), y), "o", color="0.6", ms=3)
        ax.errorbar([row["mean"]], [y], xerr=[[row["mean"] - row["low"]], [row["high"] - row["mean"]]], fmt="D",
                    color="C0", ms=5, capsize=3)
    ax.set_yticks(range(len(order)))
    diverged = dict(zip(summary["setting"], summary.get("diverged", pd.Series(0, index=summary.index)), strict=True))
    ax.set_yticklabels([f"{n} ({diverged[n]} diverged)" if diverged[n] else n for n in reversed(order)], fontsize=7)
    ax.set_xlabel(f"{ylabel} (dots: seeds; diamond and bar: mean, 95 % interval)")
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, path)
