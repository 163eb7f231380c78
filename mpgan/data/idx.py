"""Read and write IDX files, the format MNIST and Fashion-MNIST are distributed in.

Layout: two zero bytes, a dtype code, the number of dimensions, then one big-endian
uint32 per dimension, then the values in C order, big-endian. Files may be gzipped
(detected from the content, not the name).
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError

#: IDX dtype code -> big-endian numpy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES: dict[str, int] = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"IDX file '{path}' does not exist; check the path") from None
    except OSError as exc:
        raise DataError(f"IDX file '{path}' could not be read ({exc}); check its permissions") from None
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(
                f"IDX file '{path}' is a damaged gzip archive ({exc}); download it again"
            ) from None
    return raw


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (raw or gzipped) into a native-endian numpy array.

    Raises DataError for a bad magic number, an unknown dtype code or a size that
    does not match the header (truncated or padded file).
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES:
        head = data[:4].hex(" ") if data else "empty"
        raise DataError(
            f"'{path}' is not an IDX file (header bytes {head}; expected 00 00 <dtype code "
            f"08/09/0b/0c/0d/0e> <ndim>); use the original MNIST-format files"
        )
    dtype = IDX_DTYPES[data[2]]
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"IDX file '{path}' is truncated inside its header; download it again")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual != expected:
        state = "truncated" if actual < expected else "longer than its header says"
        raise DataError(
            f"IDX file '{path}' is {state} ({actual} data bytes for shape {dims}, expected "
            f"{expected}); download it again"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file, gzipped when ``path`` ends in ``.gz``.

    Supported dtypes: uint8, int8, int16, int32, float32, float64 (others raise DataError).
    """
    path = Path(path)
    arr = np.asarray(array)
    code = _CODES.get(f"{arr.dtype.kind}{arr.dtype.itemsize}")
    if code is None:
        raise DataError(
            f"cannot write dtype {arr.dtype} to IDX '{path}'; convert to uint8, int8, int16, "
            "int32, float32 or float64"
        )
    if arr.ndim > 255:
        raise DataError(f"cannot write a {arr.ndim}-dimensional array to IDX (at most 255)")
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder(">")).tobytes()
    if path.name.endswith(".gz"):
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)
    return path
