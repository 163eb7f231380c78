"""The non-GAN table synthesizers, ``fit(df)`` then ``sample(n)`` -> DataFrame, with the fitted
table's columns, order and dtypes:

- :class:`GaussianCopula` and :class:`IndependentMarginals`: the two classic baselines a GAN
  has to beat (``benchmarks/tabular_utility.py`` runs them beside mpgan's GAN);
- :class:`CopyRows`: the copying control a privacy report must flag (training rows, with or
  without noise).

They sit below the metrics, which use them as the rungs of the table ladder
(:mod:`mpgan.metrics.tables`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .data.schema import TableSchema, check_table
from .errors import DataError

__all__ = ["CopyRows", "GaussianCopula", "IndependentMarginals"]


class _Baseline:
    """Shared column handling of the baselines: columns of numbers (kinds with a numeric
    head, decoded through their kind) vs labels, dtypes, IDs."""

    def __init__(self, max_categories: int = 10):
        self.max_categories = int(max_categories)

    def _fit_columns(self, df: pd.DataFrame) -> None:
        self.schema = TableSchema.infer(df, max_categories=self.max_categories)
        self.columns = list(df.columns)
        self.dtypes = df.dtypes.to_dict()
        self.numeric = {}
        self.categorical = {}
        self.layouts = {}
        for c in self.schema.numeric:
            s = df[c]
            v = self.schema.kind(c).numbers(s)  # dates as seconds, as the GAN sees them
            self.numeric[c] = (np.sort(v[~np.isnan(v)]), float(np.isnan(v).mean()),
                               pd.api.types.is_integer_dtype(s.dtype))
            self.layouts[c] = self.schema.kind(c).layout(s)
        for c in self.schema.categorical:
            freq = df[c].value_counts(normalize=True, dropna=False)
            self.categorical[c] = (list(freq.index), freq.to_numpy(dtype=np.float64))

    def _through_kind(self, c: Any, v: np.ndarray) -> np.ndarray:
        """Numbers as the column's kind gives them back (an integer column: whole numbers in
        the training range), rounded when the column's dtype is an integer one."""
        values, _, is_int = self.numeric[c]
        kind = self.schema.kind(c)
        v = np.asarray(v, dtype=np.float64).copy()
        ok = ~np.isnan(v)
        if ok.any() and values.size:
            v[ok] = kind.decode(kind.encode(v[ok]), float(values[0]), float(values[-1]))
        return np.rint(v) if is_int else v

    def _frame(self, cols: dict[Any, np.ndarray]) -> pd.DataFrame:
        out = {}
        for c in self.columns:
            v = cols[c]
            dtype = self.dtypes[c]
            if c in self.numeric:
                v = self._through_kind(c, v)
                if np.isnan(v).any() and pd.api.types.is_integer_dtype(dtype) \
                        and not pd.api.types.is_extension_array_dtype(dtype):
                    dtype = "float64"
                v = self.schema.kind(c).restore(v, self.layouts[c])  # e.g. seconds back to dates
            out[c] = pd.Series(v, dtype=dtype) if not (c in self.categorical and pd.isna(v).any()
                                                       and pd.api.types.is_integer_dtype(dtype)) else pd.Series(v)
        return pd.DataFrame(out, columns=self.columns)


class CopyRows:
    """A control for privacy reports, never a synthesizer to share: it samples the training
    rows themselves (without replacement while they last), with ``noise`` > 0 plus Gaussian
    noise of ``noise`` × the column's std on the schema's numeric columns (integer columns
    rounded back). Category codes, even when stored as numbers, are copied unchanged, as a
    leak would copy them. A privacy report must flag both."""

    def __init__(self, noise: float = 0.0, max_categories: int = 10):
        if not noise >= 0:
            raise DataError(f"CopyRows noise must be >= 0, got {noise!r}")
        self.noise = float(noise)
        self.max_categories = int(max_categories)

    def fit(self, df: pd.DataFrame, kinds: dict[Any, str] | None = None) -> CopyRows:
        check_table(df)
        self.table = df.copy()
        schema = TableSchema.infer(df, max_categories=self.max_categories, kinds=kinds)
        self.noisy = [c for c in schema.numeric if pd.api.types.is_numeric_dtype(df[c].dtype)
                      and not pd.api.types.is_bool_dtype(df[c].dtype)]
        return self

    def sample(self, n: int, seed: int = 0) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        idx = rng.permutation(len(self.table))[:n] if n <= len(self.table) else rng.integers(0, len(self.table), n)
        out = self.table.iloc[np.sort(idx)].reset_index(drop=True)
        if self.noise:
            for c in self.noisy:
                v = out[c].to_numpy(dtype=np.float64, na_value=np.nan)
                v = v + rng.normal(0.0, self.noise * self.table[c].std(), len(out))
                integer = pd.api.types.is_integer_dtype(out[c].dtype)
                out[c] = pd.Series(np.rint(v)).astype(out[c].dtype) if integer else v
        return out


class IndependentMarginals(_Baseline):
    """Each column drawn on its own from its real values: exact marginals, no dependence at all."""

    def fit(self, df: pd.DataFrame) -> IndependentMarginals:
        self._fit_columns(df)
        self._values = {c: self.schema.kind(c).numbers(df[c]) if c in self.numeric else df[c].to_numpy()
                        for c in df.columns}
        return self

    def sample(self, n: int, seed: int = 0) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        return self._frame({c: v[rng.integers(0, len(v), n)] for c, v in self._values.items()})


class GaussianCopula(_Baseline):
    """Gaussian copula: each column mapped to normal scores through its empirical CDF,
    their correlation fitted, then new normal scores mapped back.

    Numeric columns use rank-based scores and interpolated empirical quantiles (missing
    values are drawn independently at their real rate); categorical columns get one
    interval of [0, 1] per category (most frequent first) and the interval's midpoint
    as their score. SDV's ``UniformEncoder`` (a uniform draw inside the interval) was
    also measured on ``benchmarks/tabular_utility.py``; its TSTR accuracy was lower on
    breast_cancer and wine (0.90 / 0.64 against 0.93 / 0.77), so the midpoint is kept as
    the stronger baseline.
    """

    def fit(self, df: pd.DataFrame) -> GaussianCopula:
        from scipy.special import ndtri
        from scipy.stats import rankdata

        self._fit_columns(df)
        n = len(df)
        scores = []
        for c in self.columns:
            s = df[c]
            if c in self.numeric:
                v = self.schema.kind(c).numbers(s)
                u = np.full(n, 0.5)
                ok = ~np.isnan(v)
                u[ok] = rankdata(v[ok]) / (ok.sum() + 1)
            else:
                cats, p = self.categorical[c]
                cum = np.concatenate([[0.0], np.cumsum(p)])
                mid = (cum[:-1] + cum[1:]) / 2
                idx = pd.Index(cats).get_indexer(s)
                u = np.clip(mid[idx], 1e-6, 1 - 1e-6)
            scores.append(ndtri(u))
        z = np.stack(scores, axis=1)
        corr = np.corrcoef(z, rowvar=False) if z.shape[1] > 1 else np.ones((1, 1))
        corr = np.nan_to_num(corr) + 1e-6 * np.eye(len(corr))
        np.fill_diagonal(corr, 1.0)
        self.corr = corr
        return self

    def sample(self, n: int, seed: int = 0) -> pd.DataFrame:
        from scipy.special import ndtr

        rng = np.random.default_rng(seed)
        u = ndtr(rng.multivariate_normal(np.zeros(len(self.columns)), self.corr, size=n, method="cholesky"))
        cols = {}
        for j, c in enumerate(self.columns):
            if c in self.numeric:
                values, missing, _ = self.numeric[c]
                q = np.linspace(0, 1, len(values))
                v = np.interp(u[:, j], q, values)
                if missing:
                    v[rng.random(n) < missing] = np.nan
            else:
                cats, p = self.categorical[c]
                k = np.minimum(np.searchsorted(np.cumsum(p), u[:, j], side="right"), len(cats) - 1)
                v = np.array(cats, dtype=object)[k]
            cols[c] = v
        return self._frame(cols)
