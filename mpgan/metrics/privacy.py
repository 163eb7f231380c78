"""Privacy of a synthetic table: does it copy training rows, and can someone holding it
tell who was in the training set?

Every score compares the synthetic rows with two sets of real rows from the same source:
the **training** rows the generator saw, and **holdout** rows it did not. A synthesizer
that learned the distribution, not the people, treats both alike. Rows are encoded by
:class:`~mpgan.metrics.rows.RowEncoder` fitted on the training rows, each column as its
kind's ``distance`` declares (z-scores of numbers for numeric and integer columns, one-hot
categories) and compared by **Euclidean distance** in that space. Training rows
are subsampled (seeded) to the holdout's size wherever the two are compared, so neither
side is favoured by having more rows.

- **DCR**: distance to the closest training record, of synthetic rows and (the baseline)
  of holdout rows: median and 5th percentile. ``closer_to_train`` is the share of
  synthetic rows nearer to a training row than to a holdout row (ties count half). A
  synthesizer that copies nobody lands at the training rows' share of train + holdout
  (``closer_to_train_ideal``: 50 % when the two are the same size); near 1 means copying.
- **NNDR**: nearest / second-nearest training-record distance. Near 0, a row sits on one
  training record rather than among several; compared with the holdout's.
- **Exact copies**: share of synthetic rows equal, in every column, to a training row,
  beside the same share for holdout rows (real data has duplicates too).
- **Membership inference**: ROC AUC of two attacks telling training rows (members) from
  holdout rows (non-members) with the synthetic table: *distance* (score = −distance to
  the closest synthetic row) and *density ratio* in the spirit of DOMIAS (van Breugel et
  al. 2023; score = log p_synthetic(x) − log p_reference(x), Gaussian KDE on a whitened PCA
  of the rows, the reference density fitted on half of the holdout and the other half
  scored). 0.5 is ideal.

Rows that occur more than once in train and holdout together (values several people share,
common in tables of a few coded columns) single no one out, and their copies sit at distance 0
from train and holdout alike. When the real data has such rows, the distance scores and both
attacks are judged on the rows unique in the real data (``judged_on``; the holdout's share of
shared rows is ``shared_rows_holdout``); exact copies are counted on all rows, beside the
holdout's own rate.

:data:`THRESHOLDS` holds where each one-line reading turns from "looks safe" to a warning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.schema import MAX_CATEGORIES, TableSchema, category_labels, check_table
from ..errors import DataError
from .rows import RowEncoder, aligned, nearest, nearest_k, subsample

DISTANCE = ("Euclidean on each column as its kind declares (z-scored numbers, one-hot categories), "
            "fitted on the training rows")
#: Readings: a warning when the value passes the threshold.
THRESHOLDS = {
    "closer_to_train": 0.10,   # share of synthetic rows nearer to train than to holdout, above its ideal
    "dcr_ratio": 0.50,         # synthetic median DCR / holdout median DCR below this
    "nndr_ratio": 0.50,        # synthetic median NNDR / holdout median NNDR below this
    "exact_copies_excess": 0.01,  # synthetic exact-copy share minus the holdout's above this
    "mia_auc": 0.60,           # either attack's AUC above this
}
MIN_HOLDOUT = 20
PCA_DIMS = 8


def _row_keys(df: pd.DataFrame) -> pd.Series:
    """One text key per row (canonical labels of every column), for exact-match tests."""
    cols = [category_labels(df[c]) for c in df.columns]
    return pd.Series(["\x1f".join(parts) for parts in zip(*cols, strict=True)], dtype=object)


def _auc(members: np.ndarray, non_members: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(members)), np.zeros(len(non_members))]
    return float(roc_auc_score(y, np.r_[members, non_members]))


def _log_density(fit_on: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Gaussian-KDE log density (Scott's bandwidth) of ``fit_on`` at the rows ``at``."""
    from sklearn.neighbors import KernelDensity

    n, d = fit_on.shape
    bandwidth = max(n ** (-1.0 / (d + 4)), 1e-3)
    return KernelDensity(bandwidth=bandwidth).fit(fit_on).score_samples(at)


def _density_attack(synth: np.ndarray, members: np.ndarray, reference: np.ndarray,
                    non_members: np.ndarray, seed: int) -> float:
    from sklearn.decomposition import PCA

    both = np.r_[synth, reference]
    k = int(min(PCA_DIMS, both.shape[1], len(both) - 1))
    pca = PCA(n_components=k, whiten=True, random_state=seed).fit(both)
    s, r = pca.transform(synth), pca.transform(reference)

    def score(x):
        z = pca.transform(x)
        return _log_density(s, z) - _log_density(r, z)

    return _auc(score(members), score(non_members))


def _reading(name: str, value: float, text: str) -> str:
    limit = THRESHOLDS[name]
    bad = value < limit if name in ("dcr_ratio", "nndr_ratio") else value > limit
    return f"warning: {text}" if bad else "looks safe"


def privacy_report(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, *,
                   numeric: str | Sequence[Any] | None = None, categorical: str | Sequence[Any] | None = None,
                   max_categories: int = MAX_CATEGORIES, n_max: int = 5000, seed: int = 0,
                   kinds: Mapping[Any, str] | None = None) -> dict[str, Any]:
    """DCR, NNDR, exact copies and two membership-inference AUCs, each with a reading.

    ``train``: the rows the synthesizer was fitted on; ``holdout``: real rows it never saw
    (at least 20); ``synthetic``: its output. Column kinds follow the schema's rule on
    ``train`` (``kinds=``, ``numeric=`` and ``categorical=`` force them). Tables are
    subsampled to ``n_max`` rows (seeded). Returns a JSON-ready dict: the values,
    ``readings`` (one line per metric), ``thresholds``, the ``distance`` used and the sizes.
    """
    check_table(train, "the training")
    if holdout is None:
        raise DataError("privacy metrics need holdout rows (real rows not trained on); train with "
                        "data.params.holdout (mpgan synthesize --holdout 0.3)")
    holdout = aligned(train, holdout, "holdout", "training")
    synthetic = aligned(train, synthetic, "synthetic", "training")
    if len(holdout) < MIN_HOLDOUT:
        raise DataError(f"privacy metrics need at least {MIN_HOLDOUT} holdout rows, got {len(holdout)}; "
                        "hold out more rows")
    encode = RowEncoder(train, TableSchema.infer(train, numeric=numeric, categorical=categorical, kinds=kinds,
                                                 max_categories=max_categories).kinds)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    common = common_rows(train, holdout)
    hold_all, syn_all, hold, syn, tr = _judged_rows(train, holdout, synthetic, common, int(n_max), rngs)
    judged_unique = hold is not hold_all
    e_train, e_hold, e_syn = encode(train), encode(hold), encode(syn)
    e_tr = encode(tr)

    d_syn, d_hold = nearest_k(e_train, e_syn, 2), nearest_k(e_train, e_hold, 2)
    to_hold = nearest(encode(hold_all), e_syn)
    closer = float(np.mean((d_syn[:, 0] < to_hold) + 0.5 * (d_syn[:, 0] == to_hold)))
    ideal = len(train) / (len(train) + len(hold_all))
    nndr_syn = np.divide(d_syn[:, 0], d_syn[:, 1], out=np.zeros(len(d_syn)), where=d_syn[:, 1] > 0)
    nndr_hold = np.divide(d_hold[:, 0], d_hold[:, 1], out=np.zeros(len(d_hold)), where=d_hold[:, 1] > 0)
    train_keys = set(_row_keys(train))
    copies_syn = float(_row_keys(syn_all).isin(train_keys).mean())
    copies_hold = float(_row_keys(hold_all).isin(train_keys).mean())

    mia_distance = _auc(-nearest(e_syn, e_tr), -nearest(e_syn, e_hold))
    half = len(hold) // 2
    order = rngs[3].permutation(len(hold))
    ref, non = e_hold[order[:half]], e_hold[order[half:]]
    mia_density = _density_attack(e_syn, e_tr[: len(non)], ref, non, seed)

    out: dict[str, Any] = {
        "dcr_synthetic_median": float(np.median(d_syn[:, 0])), "dcr_synthetic_p5": float(np.percentile(d_syn[:, 0], 5)),
        "dcr_holdout_median": float(np.median(d_hold[:, 0])), "dcr_holdout_p5": float(np.percentile(d_hold[:, 0], 5)),
        "closer_to_train": closer, "closer_to_train_ideal": ideal,
        "nndr_synthetic_median": float(np.median(nndr_syn)), "nndr_holdout_median": float(np.median(nndr_hold)),
        "exact_copies_synthetic": copies_syn, "exact_copies_holdout": copies_hold,
        "mia_distance_auc": mia_distance, "mia_density_auc": mia_density,
        "shared_rows_holdout": float(_row_keys(hold_all).isin(common).mean()),
        "judged_on": "rows unique in the real data" if judged_unique else "all rows",
    }
    out["readings"] = _readings(out)
    out.update(thresholds=dict(THRESHOLDS), distance=DISTANCE, n_train=int(len(train)), n_holdout=int(len(hold)),
               n_synthetic=int(len(syn)))
    return out


def _judged_rows(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, common: set[str],
                 n_max: int, rngs: list[np.random.Generator]) -> tuple[pd.DataFrame, ...]:
    """(holdout and synthetic rows, subsampled; the holdout, synthetic and member rows the
    distance scores and attacks judge). Rows many people share (duplicates across the real
    data) identify no one, and their copies sit at distance 0 from train and holdout alike,
    so the judged rows are those unique in the real data, when enough of them are left."""
    hold_all = subsample(holdout, n_max, rngs[0])
    syn_all = subsample(synthetic, n_max, rngs[2])
    hold, syn, members = _unique(hold_all, common), _unique(syn_all, common), _unique(train, common)
    if not common or len(hold) < MIN_HOLDOUT or len(syn) < 2:
        hold, syn, members = hold_all, syn_all, train
    return hold_all, syn_all, hold, syn, subsample(members, len(hold), rngs[1])  # members at the holdout's size


def common_rows(train: pd.DataFrame, holdout: pd.DataFrame) -> set[str]:
    """Keys (:func:`_row_keys`) of the rows that occur more than once in train and holdout
    together: values several people share, which a copy does not single anyone out by."""
    counts = pd.concat([_row_keys(train), _row_keys(holdout)], ignore_index=True).value_counts()
    return set(counts.index[counts > 1])


def _unique(df: pd.DataFrame, common: set[str]) -> pd.DataFrame:
    if not common:
        return df
    return df[~_row_keys(df).isin(common).to_numpy()]


def _readings(out: dict[str, Any]) -> dict[str, str]:
    """One line per privacy score: "looks safe" or a warning saying what was seen."""
    closer, ideal = out["closer_to_train"], out["closer_to_train_ideal"]
    copies_syn, copies_hold = out["exact_copies_synthetic"], out["exact_copies_holdout"]
    mia_distance, mia_density = out["mia_distance_auc"], out["mia_density_auc"]
    among = "" if out.get("judged_on", "all rows") == "all rows" else f", judged on the {out['judged_on']}"
    dcr_ratio = out["dcr_synthetic_median"] / out["dcr_holdout_median"] if out["dcr_holdout_median"] > 0 else 1.0
    nndr_ratio = out["nndr_synthetic_median"] / out["nndr_holdout_median"] if out["nndr_holdout_median"] > 0 else 1.0
    return {
        "closer_to_train": _reading("closer_to_train", closer - ideal,
                                    f"{closer:.0%} of synthetic rows are nearer to training rows than to unseen ones "
                                    f"(ideal {ideal:.0%}, the training rows' share{among})"),
        "dcr": _reading("dcr_ratio", dcr_ratio,
                        f"synthetic rows sit {dcr_ratio:.2f}× as far from training rows as unseen real rows do{among}"),
        "nndr": _reading("nndr_ratio", nndr_ratio,
                         f"synthetic rows sit on single training rows (NNDR {nndr_ratio:.2f}× the holdout's{among})"),
        "exact_copies": _reading("exact_copies_excess", copies_syn - copies_hold,
                                 f"{copies_syn:.1%} of synthetic rows copy a training row (holdout: {copies_hold:.1%})"),
        "membership_inference": _reading("mia_auc", max(mia_distance, mia_density),
                                         f"an attacker tells training rows from unseen ones with AUC "
                                         f"{max(mia_distance, mia_density):.2f} (ideal 0.5{among})"),
    }
