"""Store a cell's result (what a study's run function returns) without pickle: a JSON
file for the structure and one ``.npz`` (``allow_pickle=False``) for the arrays in it.

Floats go through JSON's shortest round-trip repr and arrays keep their dtype, so a
result read back is equal, value for value, to the one that was written: a resumed
study tabulates exactly what an uninterrupted one would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MpganError
from ..io import atomic_save, atomic_write_text

_TAGS = ("__array__", "__frame__", "__series__", "__tuple__", "__dict__", "__na__")


def save_result(stem: str | Path, obj: Any) -> None:
    """Write ``obj`` to ``STEM.json`` (+ ``STEM.npz`` when it holds arrays), atomically."""
    stem = Path(stem)
    arrays: dict[str, np.ndarray] = {}
    doc = _encode(obj, arrays)
    if arrays:
        atomic_save(_file(stem, ".npz"), lambda p: _savez(p, arrays), suffix=".npz")
    atomic_write_text(_file(stem, ".json"), json.dumps({"arrays": len(arrays), "value": doc}))


def load_result(stem: str | Path) -> Any:
    """The object :func:`save_result` wrote to ``STEM``."""
    stem = Path(stem)
    doc = json.loads(_file(stem, ".json").read_text())
    arrays: dict[str, np.ndarray] = {}
    if doc["arrays"]:
        with np.load(_file(stem, ".npz"), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    return _decode(doc["value"], arrays)


def _file(stem: Path, ext: str) -> Path:
    return stem.parent / (stem.name + ext)  # not with_suffix: a stem may hold dots (lr=0.001)


def result_exists(stem: str | Path) -> bool:
    return _file(Path(stem), ".json").is_file()


def _savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as f:  # a file object: np.savez would append .npz to a bare path
        np.savez(f, **arrays)


def _array(a: np.ndarray, arrays: dict[str, np.ndarray]) -> Any:
    if a.dtype.kind == "O":  # text or mixed objects: JSON, element by element
        return {"__array__": None, "dtype": "object", "shape": list(a.shape),
                "items": [_encode(v, arrays) for v in a.ravel().tolist()]}
    name = f"a{len(arrays)}"
    arrays[name] = a
    return {"__array__": name}


def _column(col: pd.Series, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """One pandas column by its dtype: categoricals keep categories and order, tz-aware
    datetimes are stored in UTC, nullable dtypes keep their missing values."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return {"codes": _array(col.cat.codes.to_numpy(), arrays), "categories": _column(pd.Series(dtype.categories), arrays),
                "ordered": bool(dtype.ordered)}
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = col.dt.tz_convert("UTC").dt.tz_localize(None)
        return {"values": _array(utc.to_numpy(), arrays), "tz": str(dtype.tz)}
    return {"values": _array(col.to_numpy(), arrays), "dtype": str(dtype)}


def _uncolumn(doc: dict[str, Any], arrays: dict[str, np.ndarray], index: Any) -> pd.Series:
    if "codes" in doc:
        cats = pd.Index(_uncolumn(doc["categories"], arrays, None))
        values = pd.Categorical.from_codes(_decode(doc["codes"], arrays), categories=cats, ordered=doc["ordered"])
        return pd.Series(values, index=index)
    if "tz" in doc:
        return pd.Series(_decode(doc["values"], arrays), index=index).dt.tz_localize("UTC").dt.tz_convert(doc["tz"])
    return pd.Series(_decode(doc["values"], arrays), index=index, dtype=doc["dtype"])


def _index(idx: pd.Index, arrays: dict[str, np.ndarray]) -> Any:
    """None for the default 0..n-1 index; else each level as a column, with the names."""
    if isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and idx.name is None:
        return None
    levels = [_column(pd.Series(idx.get_level_values(i)), arrays) for i in range(idx.nlevels)]
    return {"levels": levels, "names": [_encode(n, arrays) for n in idx.names]}


def _unindex(doc: Any, arrays: dict[str, np.ndarray], n: int) -> pd.Index:
    if doc is None:
        return pd.RangeIndex(n)
    levels = [_uncolumn(level, arrays, None) for level in doc["levels"]]
    names = [_decode(name, arrays) for name in doc["names"]]
    if len(levels) == 1:
        return pd.Index(levels[0], name=names[0])
    return pd.MultiIndex.from_arrays(levels, names=names)


def _encode(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, np.ndarray):
        return _array(obj, arrays)
    if isinstance(obj, pd.DataFrame):
        cols = [[_encode(c, arrays), _column(obj.iloc[:, i], arrays)] for i, c in enumerate(obj.columns)]
        return {"__frame__": cols, "index": _index(obj.index, arrays)}
    if isinstance(obj, pd.Series):
        return {"__series__": _column(obj, arrays), "name": _encode(obj.name, arrays),
                "index": _index(obj.index, arrays)}
    if obj is pd.NA:
        return {"__na__": None}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and k not in _TAGS for k in obj):
            return {k: _encode(v, arrays) for k, v in obj.items()}
        return {"__dict__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    raise MpganError(f"a cell's result holds a {type(obj).__name__}, which cannot be stored; return numbers, "
                     "text, lists, dicts, numpy arrays or pandas frames")


def _decode(doc: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(doc, list):
        return [_decode(v, arrays) for v in doc]
    if not isinstance(doc, dict):
        return doc
    if "__array__" in doc:
        if doc["__array__"] is None:
            out = np.empty(len(doc["items"]), dtype=object)
            out[:] = [_decode(v, arrays) for v in doc["items"]]
            return out.reshape(doc["shape"])
        return arrays[doc["__array__"]]
    if "__frame__" in doc:
        cols = doc["__frame__"]
        n = len(_uncolumn(cols[0][1], arrays, None)) if cols else _index_length(doc["index"], arrays)
        index = _unindex(doc["index"], arrays, n)
        frame = pd.DataFrame({i: _uncolumn(col, arrays, index) for i, (_, col) in enumerate(cols)}, index=index)
        if cols:  # set afterwards: keeps repeated and non-text names
            frame.columns = [_decode(name, arrays) for name, _ in cols]
        return frame
    if "__series__" in doc:
        values = _uncolumn(doc["__series__"], arrays, None)
        series = values.set_axis(_unindex(doc["index"], arrays, len(values)))
        return series.rename(_decode(doc["name"], arrays))
    if "__na__" in doc:
        return pd.NA
    if "__tuple__" in doc:
        return tuple(_decode(v, arrays) for v in doc["__tuple__"])
    if "__dict__" in doc:
        return {_freeze(_decode(k, arrays)): _decode(v, arrays) for k, v in doc["__dict__"]}
    return {k: _decode(v, arrays) for k, v in doc.items()}


def _index_length(doc: Any, arrays: dict[str, np.ndarray]) -> int:
    return 0 if doc is None else len(_uncolumn(doc["levels"][0], arrays, None))


def _freeze(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
