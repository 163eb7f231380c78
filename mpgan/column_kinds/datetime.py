"""The datetime column kind: dates and times (admission dates, timestamps), added in this
one file as a fork would add a kind.

- **Picked** for a datetime64 column (with or without a time zone), and for a text column
  whose every value is an ISO date or date-time (``2021-03-04``, ``2021-03-04 10:30``,
  ``2021-03-04T10:30:00``): the one text form that cannot be read two ways. Other date
  strings (``13.02.2021``) are parsed only when the column is forced with
  ``kinds={"col": "datetime"}`` (``--kind col=datetime``), in the one format (pandas'
  guess, month or day first) that reads every value.
- **Modelled** as a number: seconds since 1970-01-01 UTC, scaled like a numeric column.
- **Sampled** inside the training range, rounded to the training values' step (whole
  days when every one is a midnight, else whole seconds when they are), and written back in the column's form: datetime64 with its time zone, or
  text in the training values' format.
- **Compared** by the two-sample KS statistic on the seconds; **drawn** as a histogram.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..registry import COLUMN_KINDS
from .base import ColumnKind, first_bad

#: ISO dates and date-times, the text form inference accepts (no day/month ambiguity).
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
DAY = 86400.0


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _format_of(text: str) -> str:
    """The strftime format of one ISO value (the column's training form)."""
    date, sep, time = text.partition("T") if "T" in text else text.partition(" ")
    if not sep:
        return "%Y-%m-%d"
    return "%Y-%m-%d" + sep + ("%H:%M" if time.count(":") == 1 else "%H:%M:%S.%f" if "." in time else "%H:%M:%S")


def text_format(present: pd.Series) -> str | None:
    """The one strftime format every value of a date text column parses with: the ISO form,
    else pandas' guess from the first value, month first or day first (the one that reads
    them all: ``13.02.2021`` settles it); None when no single format does."""
    from pandas.tseries.api import guess_datetime_format

    text = present.astype(str).str.strip()
    first = text.iloc[0]
    guesses = [_format_of(first)] if ISO.match(first) else [
        guess_datetime_format(first, dayfirst=False), guess_datetime_format(first, dayfirst=True)]
    for fmt in dict.fromkeys(g for g in guesses if g):
        if pd.to_datetime(text, format=fmt, errors="coerce").notna().all():
            return fmt
    return None


@COLUMN_KINDS.register("datetime")
class DateTime(ColumnKind):
    """Dates and times (datetime64, or ISO date text): seconds since the epoch, KS, histogram."""

    head = "numeric"
    fidelity = "ks"
    distance = "scaled"
    plot = "histogram"
    priority = 5  # before categorical: date text is not labels, nor row IDs

    def detect(self, name: Any, present: pd.Series, max_categories: int) -> bool:
        if pd.api.types.is_datetime64_any_dtype(present.dtype):
            return True
        return _is_text(present.dtype) and bool(present.astype(str).str.strip().str.match(ISO).all())

    def _parse(self, s: pd.Series) -> pd.Series:
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            return s
        present = s.dropna()
        fmt = text_format(present) if len(present) else None
        return pd.to_datetime(s.astype("string").str.strip(), errors="coerce", format=fmt or "mixed")

    def check(self, name: Any, present: pd.Series) -> None:
        bad = self._parse(present).isna().to_numpy()
        if bad.any():
            row, value = first_bad(present, bad)
            raise DataError(f"column '{name}' is listed as datetime but row {row} holds {value!r}, which is "
                            "not a date; fix it or list another kind")

    def numbers(self, s: pd.Series) -> np.ndarray:
        t = self._parse(s)
        if getattr(t.dt, "tz", None) is not None:
            t = t.dt.tz_convert("UTC").dt.tz_localize(None)
        seconds = (t - pd.Timestamp("1970-01-01")).dt.total_seconds()
        return seconds.to_numpy(dtype=np.float64, na_value=np.nan)

    def layout(self, s: pd.Series) -> dict[str, Any]:
        """The time zone, the text format (text columns) and the step (a day when every value is a midnight)."""
        present = s.dropna()
        v = self.numbers(present)
        fmt = None if pd.api.types.is_datetime64_any_dtype(s.dtype) else text_format(present) or "%Y-%m-%d %H:%M:%S"
        tz = getattr(s.dt, "tz", None) if pd.api.types.is_datetime64_any_dtype(s.dtype) else None
        local = self.numbers(present.dt.tz_localize(None)) if tz is not None else v
        step = DAY if bool(np.all(np.mod(local, DAY) == 0)) else 1.0 if bool(np.all(np.mod(local, 1) == 0)) else 1e-6
        return {"tz": None if tz is None else str(tz), "format": fmt, "step": step}

    def restore(self, v: np.ndarray, layout: dict[str, Any]) -> Any:
        """Seconds back to the column's form, rounded to the training values' step (a day, a
        second or a microsecond, in local time): datetime64 in its zone, or text in its format."""
        t = pd.to_datetime(pd.Series(v), unit="s", utc=layout["tz"] is not None)
        if layout["tz"] is not None:
            t = t.dt.tz_convert(layout["tz"])
        freq = {DAY: "D", 1.0: "s"}.get(layout["step"], "us")
        t = t.dt.round(freq, ambiguous="NaT", nonexistent="shift_forward") if layout["tz"] else t.dt.round(freq)
        if layout["format"] is None:
            return t
        return t.dt.strftime(layout["format"]).astype(object).where(t.notna(), None)
