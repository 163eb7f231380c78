"""Latent-space geometry: planes and grids, linear and spherical interpolation, points
at a given radius. Pure NumPy; feed the results to ``Trainer.generate``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import MpganError


def plane_grid(latent_dim: int, dims: Sequence[int] = (0, 1), n: int = 9, extent: float = 3.0,
               origin: np.ndarray | None = None) -> np.ndarray:
    """An ``n x n`` grid over ``[-extent, extent]^2`` in latent coordinates ``dims``, every
    other coordinate fixed at ``origin`` (default 0), as the MP-GAN article's Fig. 8.
    Returns ``(n * n, latent_dim)`` float32, row-major (first dim varies along rows)."""
    dims = tuple(int(d) for d in dims)
    if len(dims) != 2 or dims[0] == dims[1] or not all(0 <= d < latent_dim for d in dims):
        raise MpganError(f"dims must be two different latent coordinates in 0..{latent_dim - 1}, got {dims}")
    if n < 2 or not extent > 0:
        raise MpganError(f"a latent grid needs n >= 2 and extent > 0, got n={n}, extent={extent}")
    base = np.zeros(latent_dim) if origin is None else np.asarray(origin, dtype=np.float64).reshape(-1)
    if base.shape != (latent_dim,):
        raise MpganError(f"origin must have {latent_dim} coordinates, got shape {base.shape}")
    ticks = np.linspace(-extent, extent, n)
    z = np.tile(base, (n * n, 1))
    a, b = np.meshgrid(ticks, ticks, indexing="ij")
    z[:, dims[0]] = a.ravel()
    z[:, dims[1]] = b.ravel()
    return z.astype(np.float32)


def lerp(z0: np.ndarray, z1: np.ndarray, n: int = 10) -> np.ndarray:
    """``n`` points on the straight line from ``z0`` to ``z1`` (both ends included)."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    return ((1 - t) * np.asarray(z0, np.float64) + t * np.asarray(z1, np.float64)).astype(np.float32)


def slerp(z0: np.ndarray, z1: np.ndarray, n: int = 10) -> np.ndarray:
    """``n`` points on the great-circle arc from ``z0`` to ``z1`` with the norm interpolated
    linearly (White 2016): unlike ``lerp`` it stays near the shell where Gaussian latents live."""
    a, b = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return lerp(a, b, n)
    ua, ub = a / na, b / nb
    omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
    t = np.linspace(0.0, 1.0, n)[:, None]
    if omega < 1e-6:
        dirs = np.repeat(ua[None], n, axis=0)
    elif np.pi - omega < 1e-6:  # opposite points: no unique great circle
        return lerp(a, b, n)
    else:
        dirs = (np.sin((1 - t) * omega) * ua + np.sin(t * omega) * ub) / np.sin(omega)
    return (dirs * ((1 - t) * na + t * nb)).astype(np.float32)


def at_radius(radius: float, n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """``n`` latent points at distance ``radius`` from 0 in uniformly random directions."""
    d = np.random.default_rng(seed).standard_normal((n, latent_dim))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return (radius * d).astype(np.float32)


__all__ = ["at_radius", "lerp", "plane_grid", "slerp"]
