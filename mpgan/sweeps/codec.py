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

_TAGS = ("__array__", "__frame__", "__series__", "__tuple__", "__dict__")


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
        cols = [[_encode(c, arrays), _array(obj[c].to_numpy(), arrays), str(obj[c].dtype)] for c in obj.columns]
        index = None if obj.index.equals(pd.RangeIndex(len(obj))) else _array(obj.index.to_numpy(), arrays)
        return {"__frame__": cols, "index": index}
    if isinstance(obj, pd.Series):
        return {"__series__": _array(obj.to_numpy(), arrays), "name": _encode(obj.name, arrays),
                "dtype": str(obj.dtype)}
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
        data = {_decode(name, arrays): pd.Series(_decode(col, arrays), dtype=dtype)
                for name, col, dtype in doc["__frame__"]}
        frame = pd.DataFrame(data)
        if doc["index"] is not None:
            frame.index = _decode(doc["index"], arrays)
        return frame
    if "__series__" in doc:
        return pd.Series(_decode(doc["__series__"], arrays), name=_decode(doc["name"], arrays), dtype=doc["dtype"])
    if "__tuple__" in doc:
        return tuple(_decode(v, arrays) for v in doc["__tuple__"])
    if "__dict__" in doc:
        return {_freeze(_decode(k, arrays)): _decode(v, arrays) for k, v in doc["__dict__"]}
    return {k: _decode(v, arrays) for k, v in doc.items()}


def _freeze(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
