"""The run directory's format: runs from before the manifest load, newer formats are refused,
history is appended."""

import json

import numpy as np
import pandas as pd
import pytest

from mpgan import Trainer, load_config
from mpgan.errors import MpganError
from mpgan.training.run_dir import FORMAT_VERSION
from tests.helpers import TINY


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("rd") / "run"
    Trainer.from_config(load_config(None, TINY), run_dir=path).fit()
    return path


def test_manifest_records_the_format_and_the_data_source(run):
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["format"] == FORMAT_VERSION and "digits" in manifest["data_source"]


def test_a_run_without_manifest_still_loads(run, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(run, old)
    (old / "manifest.json").unlink()  # format 1: written before the manifest existed
    np.testing.assert_array_equal(Trainer.from_run(old).sample(4, seed=3), Trainer.from_run(run).sample(4, seed=3))


def test_a_newer_format_is_refused_naming_its_version(run, tmp_path):
    import shutil

    new = tmp_path / "new"
    shutil.copytree(run, new)
    manifest = json.loads((new / "manifest.json").read_text())
    (new / "manifest.json").write_text(json.dumps({**manifest, "format": FORMAT_VERSION + 7}))
    with pytest.raises(MpganError, match=f"run-directory format {FORMAT_VERSION + 7}, newer than this mpgan reads"):
        Trainer.from_run(new)


def test_history_is_appended_across_a_resume(run, tmp_path):
    import shutil

    longer = tmp_path / "longer"
    shutil.copytree(run, longer)
    before = pd.read_csv(longer / "history.csv")
    t = Trainer.from_run(longer)
    t.fit(epochs=3)
    after = pd.read_csv(longer / "history.csv")
    pd.testing.assert_frame_equal(after.iloc[:len(before)], before)
    assert after["step"].tolist() == list(range(1, 10))
