"""Tables as users have them: extreme magnitudes, dates, other delimiters, continuous
targets, column kinds from the command line, and a quiet library."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mpgan.data.tabular import TabularTransformer

# --------------------------------------------------------------------------- magnitudes


@pytest.mark.parametrize("numeric", ["standard", "minmax", "mode"])
def test_numbers_of_any_finite_magnitude_round_trip(numeric):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"huge": rng.uniform(1, 10, 60) * 1e300, "tiny": rng.uniform(1, 10, 60) * 1e-300,
                       "wide": 10.0 ** rng.uniform(299, 301, 60), "near_max": rng.uniform(-1.7, 1.7, 60) * 1e308,
                       "plain": rng.normal(size=60)})
    df.loc[3, "huge"] = np.nan  # missing values still come back missing
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or underflow on the way
        tr = TabularTransformer(numeric=numeric)
        back = tr.inverse_transform(tr.fit_transform(df))
    assert np.isnan(back.loc[3, "huge"])
    for c in df.columns:
        np.testing.assert_allclose(back[c].to_numpy(), df[c].to_numpy(), rtol=1e-4, err_msg=f"{numeric} {c}")
    assert back["huge"].std() > 1e299  # not collapsed onto the real min or max


def test_infinite_values_are_still_refused():
    from mpgan.errors import DataError

    df = pd.DataFrame({"x": [1e300, np.inf, 2e300]})
    with pytest.raises(DataError, match=r"column 'x' holds inf at row 1; replace infinite values"):
        TabularTransformer().fit(df)
