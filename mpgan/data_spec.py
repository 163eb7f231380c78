"""The contract between datasets, models and the trainer.

A :class:`DataSpec` says what one sample looks like (shape, value range and, for
tables, the column layout); registry factories receive it as their first argument.
A :class:`Dataset` carries the training array in the model's value range plus the
mapping back to the original space.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Kind = Literal["image", "tabular", "toy"]
#: A block's output head (:data:`mpgan.column_kinds.HEADS`): what the generator emits for it.
Head = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class Column:
    """One column of a table as the model sees it: a block of ``width`` features.

    ``kind`` is the block's output head, which the table column's kind
    (:mod:`mpgan.column_kinds`) chose: "numeric" (``width`` linear outputs) or
    "categorical" (``width`` = number of categories, generated through one softmax
    block). One table column may give several blocks: mode-specific normalisation gives a
    numeric value block and a categorical ``"<name>.mode"`` block, a numeric column with
    missing values adds a categorical ``"<name>.missing"`` block.
    """

    name: str
    kind: Head
    width: int = 1
    categories: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "width": self.width,
                "categories": [c.item() if hasattr(c, "item") else c for c in self.categories]}


@dataclass(frozen=True)
class DataSpec:
    """What a single sample looks like.

    - ``shape``: per-sample shape, e.g. ``(28, 28, 1)`` for images, ``(n_features,)``
      for tables and toys.
    - ``value_range``: ``(low, high)`` the model must produce (images: ``(-1, 1)``,
      matching a tanh output), or ``None`` for unbounded values.
    - ``columns``: the tabular layout; ``sum(c.width) == shape[0]``.
    - ``num_classes``: number of label classes when the dataset has labels.
    - ``target``: for tables with labels, the name of the class column; its categorical
      block in ``columns`` is what a conditional generator is conditioned on.
    """

    kind: Kind
    shape: tuple[int, ...]
    value_range: tuple[float, float] | None = None
    columns: tuple[Column, ...] = ()
    num_classes: int | None = None
    name: str = ""
    target: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        if self.columns:
            width = sum(c.width for c in self.columns)
            if (width,) != self.shape:
                raise ValueError(f"column widths sum to {width} but shape is {self.shape}")

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "shape": list(self.shape),
            "value_range": list(self.value_range) if self.value_range else None,
            "columns": [c.to_dict() for c in self.columns],
            "num_classes": self.num_classes,
            "name": self.name,
            "target": self.target,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DataSpec:
        return cls(
            kind=d["kind"],
            shape=tuple(d["shape"]),
            value_range=tuple(d["value_range"]) if d.get("value_range") else None,
            columns=tuple(
                Column(c["name"], c["kind"], c["width"], tuple(c.get("categories", ())))
                for c in d.get("columns", ())
            ),
            num_classes=d.get("num_classes"),
            name=d.get("name", ""),
            target=d.get("target"),
        )


def _identity(x: np.ndarray) -> np.ndarray:
    return np.asarray(x)


@dataclass
class Dataset:
    """Training data in the model's value range.

    ``x`` is float32 of shape ``(n, *spec.shape)``; ``y`` holds integer labels when
    the data has them. ``inverse_transform`` maps model-space samples back to the
    original space (uint8 pixels, a DataFrame with the original columns, raw values).
    Tables also keep their rows in the original space: ``frame`` (the training rows)
    and ``holdout`` (rows held out from training, for honest utility scores, or None).
    """

    x: np.ndarray
    spec: DataSpec
    y: np.ndarray | None = None
    class_names: tuple[str, ...] | None = None
    inverse: Callable[[np.ndarray], Any] = field(default=_identity, repr=False)
    info: dict[str, Any] = field(default_factory=dict)
    frame: Any = field(default=None, repr=False)
    holdout: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.x = np.ascontiguousarray(self.x, dtype=np.float32)
        if self.x.shape[1:] != self.spec.shape:
            raise ValueError(f"data shape {self.x.shape[1:]} does not match spec {self.spec.shape}")
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(f"{len(self.y)} labels for {len(self.x)} samples")

    def __len__(self) -> int:
        return len(self.x)

    def inverse_transform(self, x: np.ndarray) -> Any:
        """Map generated samples (model space) back to the original space."""
        return self.inverse(np.asarray(x))
