"""mpgan: a multi-objective GAN research framework on TensorFlow 2 + Keras 3."""

from __future__ import annotations

import os as _os
import warnings as _warnings
from typing import TYPE_CHECKING as _TYPE_CHECKING

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")
#: Whether mpgan chose TensorFlow's C++ log level (``mpgan -v`` then lowers it again).
TF_LOG_LEVEL_DEFAULTED = "TF_CPP_MIN_LOG_LEVEL" not in _os.environ
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Keras' TensorFlow backend converts variables with np.array(x) when saving weights, which
# NumPy 2 answers with this DeprecationWarning on every checkpoint; it is Keras', not the user's.
_warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword",
                         category=DeprecationWarning, module=r"keras\.")

from . import data, latent, metrics, modalities, models, objectives, report, studies  # noqa: E402  (registers the built-ins)
from .config import Config, load_config  # noqa: E402
from .data import load_dataset  # noqa: E402
from .data.tabular import TabularTransformer  # noqa: E402
from .data_spec import Column, Dataset, DataSpec  # noqa: E402
from .errors import (  # noqa: E402
    ConfigError,
    DataError,
    DivergenceError,
    ModelError,
    MpganError,
    UnknownNameError,
)
from .objectives import Objective  # noqa: E402
from .registry import (  # noqa: E402
    DATASETS,
    DISCRIMINATORS,
    GENERATORS,
    OBJECTIVES,
    Registry,
    load_plugins,
)
from .studies import STUDIES, run_study  # noqa: E402
from .training import Callback  # noqa: E402
from .training.from_config import train  # noqa: E402
from .version import __version__  # noqa: E402

if _TYPE_CHECKING:
    from .audit import audit_synthesizer
    from .sweeps.execution import Execution
    from .sweeps.sweep import SweepSpec, run_sweep
    from .synthesizers import GaussianCopula, IndependentMarginals, TabularSynthesizer
    from .training import Trainer

# Names that load TensorFlow come on first use, so `import mpgan` (and `mpgan list`) stay fast.
_LAZY = {"Trainer": ".training", "TabularSynthesizer": ".synthesizers",
         "GaussianCopula": ".synthesizers", "IndependentMarginals": ".synthesizers",
         "audit_synthesizer": ".audit", "SweepSpec": ".sweeps.sweep", "run_sweep": ".sweeps.sweep", "Execution": ".sweeps.execution"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "__version__",
    "Config", "load_config", "load_dataset", "Objective", "Callback", "Trainer", "train",
    "TabularSynthesizer", "TabularTransformer", "GaussianCopula", "IndependentMarginals", "audit_synthesizer",
    "data", "latent", "metrics", "modalities", "models", "objectives", "report", "studies", "STUDIES", "run_study",
    "SweepSpec", "run_sweep", "Execution",
    "Column", "Dataset", "DataSpec",
    "ConfigError", "DataError", "DivergenceError", "ModelError", "MpganError", "UnknownNameError",
    "DATASETS", "DISCRIMINATORS", "GENERATORS", "OBJECTIVES", "Registry", "load_plugins",
]
