"""A privacy audit of a table synthesizer in one training run (Steinke, Nasr & Jagielski
2023, "Privacy auditing with one (1) training run").

``canaries`` rows are drawn before training, uniformly within the real table's observed
ranges and categories, so they change neither its bounds nor its category lists. Each goes
into the training table with probability 1/2. After training, the synthetic rows alone
give each canary a membership score: how near its nearest synthetic row is, relative to
its nearest real row (which is the same whether or not it was included). The canaries
scoring highest are guessed "in", the lowest "out". Were training (ε, δ)-DP, the number of
right guesses could exceed what ε allows only with probability 1 − ``confidence``; the
largest ε the observed count rules out is the empirical lower bound.

Read it beside the accountant's ε: a lower bound above it means the release leaks more
than claimed (a bug in the mechanism or a channel outside it). A lower bound far below it
is expected: one black-box run is a weak attacker, so this audit catches leaks, it does
not certify privacy.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, DataError

#: Fractions of the canaries guessed (half "in", half "out"); the bound is taken over all
#: of them with a Bonferroni correction, so choosing the best costs confidence, not validity.
GUESS_FRACTIONS = (0.05, 0.1, 0.2, 0.5, 1.0)
#: Synthetic rows sampled to score the canaries.
SAMPLE_ROWS = 20_000


def p_value(guesses: int, correct: int, epsilon: float, delta: float, canaries: int) -> float:
    """The chance of ``correct`` or more right guesses out of ``guesses`` on ``canaries``
    canaries (each included with probability 1/2) if the training were (ε, δ)-DP
    (Steinke et al. 2023, Theorem 5.2): a Binomial(guesses, e^ε / (1 + e^ε)) tail, plus
    the δ term."""
    from scipy import stats

    if not 0 <= correct <= guesses <= canaries:
        raise ValueError(f"need 0 <= correct <= guesses <= canaries, got {correct}, {guesses}, {canaries}")
    q = 1.0 / (1.0 + math.exp(-epsilon))
    tail = float(stats.binom.sf(correct - 1, guesses, q))
    if delta == 0 or correct == 0:
        return min(1.0, tail)
    below = np.cumsum(stats.binom.pmf(correct - np.arange(1, correct + 1), guesses, q))  # P[v > B >= v - i]
    alpha = float(np.max(below / np.arange(1, correct + 1)))
    return min(1.0, tail + 2 * canaries * delta * alpha)


def epsilon_lower_bound(guesses: int, correct: int, canaries: int, delta: float = 0.0,
                        significance: float = 0.05) -> float:
    """The largest ε that ``correct`` right guesses out of ``guesses`` rule out at the
    given significance (0 when they rule out none): bisection on :func:`p_value`."""
    if guesses == 0 or p_value(guesses, correct, 0.0, delta, canaries) >= significance:
        return 0.0
    low, high = 0.0, 1.0
    while p_value(guesses, correct, high, delta, canaries) < significance:
        low, high = high, high * 2
        if high > 1e3:
            return math.inf
    for _ in range(50):
        mid = (low + high) / 2
        low, high = (mid, high) if p_value(guesses, correct, mid, delta, canaries) < significance else (low, mid)
    return low


def guess_counts(canaries: int) -> list[int]:
    """How many canaries each guess of :data:`GUESS_FRACTIONS` covers (at least 2, distinct)."""
    return sorted({k for k in (max(2, round(f * canaries)) for f in GUESS_FRACTIONS) if k <= canaries})


def best_possible_bound(canaries: int, delta: float, confidence: float) -> float:
    """The lower bound if every guess were right: the most this many canaries can show."""
    ks = guess_counts(canaries)
    return max((epsilon_lower_bound(k, k, canaries, delta, (1 - confidence) / len(ks)) for k in ks), default=0.0)


def canaries_needed(epsilon: float, delta: float, confidence: float) -> int:
    """The fewest canaries whose best possible bound exceeds ``epsilon``."""
    low, high = 2, 4
    while best_possible_bound(high, delta, confidence) <= epsilon:
        low, high = high, high * 2
        if high > 1_000_000:
            raise ConfigError(f"no number of canaries up to a million can show epsilon above {epsilon:g} at "
                              f"delta {delta:g}")
    while low < high:
        mid = (low + high) // 2
        low, high = (mid + 1, high) if best_possible_bound(mid, delta, confidence) <= epsilon else (low, mid)
    return low


def make_canaries(real: pd.DataFrame, kinds: dict[Any, str], count: int, rng: np.random.Generator) -> pd.DataFrame:
    """``count`` rows drawn column by column: numbers uniformly between the column's smallest
    and largest value (whole numbers for integer columns), other columns one of their values
    uniformly, so no bound or category list of ``real`` changes."""
    out = {}
    for c in real.columns:
        values = real[c].dropna()
        if kinds.get(c) in ("numeric", "integer") and pd.api.types.is_numeric_dtype(values):
            draw = rng.uniform(float(values.min()), float(values.max()), count)
            out[c] = (np.round(draw).astype(real[c].dtype) if pd.api.types.is_integer_dtype(real[c])
                      else draw.astype(real[c].dtype))
        else:
            uniques = pd.unique(values)
            out[c] = pd.Series(uniques[rng.integers(0, len(uniques), count)], dtype=real[c].dtype)
    return pd.DataFrame(out)[list(real.columns)]


def canary_scores(real: pd.DataFrame, canaries: pd.DataFrame, synthetic: pd.DataFrame,
                  kinds: dict[Any, str]) -> np.ndarray:
    """Each canary's membership score: minus its distance to the nearest synthetic row over
    its distance to the nearest real row (columns encoded as the privacy report does)."""
    from .metrics.rows import RowEncoder, nearest

    enc = RowEncoder(real, kinds)
    c = enc(canaries)
    d_synthetic = nearest(enc(synthetic), c)
    d_real = nearest(enc(real), c)
    return -d_synthetic / np.maximum(d_real, 1e-12)


@dataclass(frozen=True)
class AuditResult:
    """What the audit found: the lower bound on ε at ``confidence``, the guesses it came
    from, the best bound these canaries could show, and the accountant's ε beside it."""

    epsilon_lower: float
    confidence: float
    canaries: int
    included: int
    guesses: int
    correct: int
    auc: float
    best_possible: float
    delta: float
    claimed_epsilon: float | None
    verdict: str
    per_guess: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(scores: np.ndarray, included: np.ndarray, delta: float, confidence: float = 0.95,
          claimed_epsilon: float | None = None) -> AuditResult:
    """The lower bound from canary ``scores`` (higher: more likely included) and the truth
    ``included``: for each guess count k, the top k/2 guessed in and the bottom k/2 out;
    the largest bound over the k, each at the Bonferroni-corrected significance."""
    from sklearn.metrics import roc_auc_score

    m = len(scores)
    order = np.argsort(-scores, kind="stable")
    ks = guess_counts(m)
    significance = (1 - confidence) / len(ks)
    rows = []
    for k in ks:
        guess_in, guess_out = order[: k // 2], order[m - (k - k // 2):]
        correct = int(included[guess_in].sum() + (~included[guess_out]).sum())
        rows.append({"guesses": k, "correct": correct,
                     "epsilon_lower": epsilon_lower_bound(k, correct, m, delta, significance)})
    best = max(rows, key=lambda r: r["epsilon_lower"])
    auc = float(roc_auc_score(included, scores)) if 0 < included.sum() < m else float("nan")
    return AuditResult(best["epsilon_lower"], confidence, m, int(included.sum()), best["guesses"], best["correct"],
                       auc, best_possible_bound(m, delta, confidence), delta, claimed_epsilon,
                       verdict(best["epsilon_lower"], claimed_epsilon, confidence), rows)


def verdict(lower: float, claimed: float | None, confidence: float) -> str:
    """One sentence: the bound against the claim."""
    shown = f"the synthetic rows show epsilon >= {lower:.3g} at {confidence:.0%} confidence"
    if claimed is None:
        return f"no privacy claimed; {shown}"
    if lower > claimed:
        return f"violated: {shown}, above the accountant's epsilon {claimed:.3g}"
    return f"consistent: {shown}, not above the accountant's epsilon {claimed:.3g}"


def audit_synthesizer(table: pd.DataFrame, synthesizer: Any, *, target: str | None = None, canaries: int = 200,
          confidence: float = 0.95, seed: int = 0, sample_rows: int = SAMPLE_ROWS,
          claimed_epsilon: float | None = None, delta: float | None = None) -> AuditResult:
    """Audit ``synthesizer`` (anything with ``fit(DataFrame)`` and ``sample(n, seed=)``, e.g.
    a :class:`~mpgan.synthesizers.TabularSynthesizer`) in one training run on ``table``
    plus canaries. The accountant's ε and δ are read from a TabularSynthesizer's run, or
    given; without a claim the bound is reported alone."""
    from .metrics.tables import table_kinds

    check_settings(canaries, confidence, delta)
    if len(table) < 2:
        raise DataError(f"the audit needs a table of at least 2 rows, got {len(table)}")
    rng = np.random.default_rng(seed)
    kinds = table_kinds(table, target, name="audited")
    canary_rows = make_canaries(table, kinds, canaries, rng)
    included = rng.random(canaries) < 0.5
    training = pd.concat([table, canary_rows[included]], ignore_index=True)
    synthesizer.fit(training)
    synthetic = synthesizer.sample(sample_rows, seed=seed)
    spent = synthesizer.trainer.privacy_spent() if getattr(synthesizer, "trainer", None) is not None else None
    if spent is not None:
        claimed_epsilon = spent["epsilon"] if claimed_epsilon is None else claimed_epsilon
        delta = spent["delta"] if delta is None else delta
    delta = min(1e-5, 1.0 / (10 * len(training))) if delta is None else delta
    scores = canary_scores(table, canary_rows, synthetic, kinds)
    return judge(scores, included, delta, confidence, claimed_epsilon)


def check_settings(canaries: int, confidence: float, delta: float | None = None) -> None:
    """Refuse a confidence outside (0, 1), and a number of canaries too small for any outcome
    to bound ε above 0 (saying how many are needed)."""
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be between 0 and 1, got {confidence}")
    delta = 1e-5 if delta is None else delta
    if canaries < 2 or best_possible_bound(canaries, delta, confidence) <= 0:
        need = canaries_needed(0.0, delta, confidence)
        raise ConfigError(f"{canaries} canaries cannot bound epsilon above 0 at {confidence:.0%} confidence even "
                          f"if every guess is right; use at least {need} (a few hundred to bound epsilon near 1)")


__all__ = ["AuditResult", "audit_synthesizer", "best_possible_bound", "canaries_needed", "canary_scores", "check_settings",
           "epsilon_lower_bound", "judge", "make_canaries", "p_value"]

