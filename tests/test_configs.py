"""Every shipped config loads and trains a few steps; tabular and toy runs sample."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mpgan import load_config
from mpgan.cli import main

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "experiments" / "configs").glob("*.yaml"))
QUICK = ["train.epochs=1", "train.steps_per_epoch=2", "train.n_samples=8", "train.tensorboard=false"]


def test_there_are_image_tabular_and_toy_configs():
    kinds = {load_config(p).data.name for p in CONFIGS}
    assert {"digits", "breast_cancer", "rayleigh"} <= kinds


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_config_trains_and_samples(path, tmp_path):
    run = tmp_path / "run"
    sets = [a for s in QUICK for a in ("--set", s)]
    assert main(["train", "--config", str(path), *sets, "--run-dir", str(run)]) == 0
    kind = load_config(run / "config.yaml").data.name
    if kind == "breast_cancer":
        out = tmp_path / "rows.csv"
        assert main(["sample", "--run", str(run), "--n", "20", "--out", str(out)]) == 0
        rows = pd.read_csv(out)
        assert len(rows) == 20 and "mean radius" in rows.columns and "target" in rows.columns
        assert set(rows["target"].unique()) <= {0, 1}
    else:
        out = tmp_path / "s.npy"
        assert main(["sample", "--run", str(run), "--n", "5", "--out", str(out)]) == 0
        assert np.load(out).shape[0] == 5
        assert main(["sample", "--run", str(run), "--n", "5", "--out", str(tmp_path / "s.png")]) == 0
