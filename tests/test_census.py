"""Bad input, command by command: each mistake is refused with one `error:` line that names
the culprit, exit 2, before anything trains, and leaves no folder behind."""

from __future__ import annotations

import pytest

from mpgan.cli import main


def test_an_empty_config_file_is_an_error_naming_it(tmp_path, capsys):
    """An empty YAML file used to train the built-in defaults without a word."""
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    run = tmp_path / "run"
    assert main(["train", "--config", str(empty), "--run-dir", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: config error: {empty} is empty; a config file must hold a mapping of config keys "
                   "(omit --config to train the defaults)"]
    assert not run.exists()


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_config_files_with_no_keys_are_all_refused(tmp_path, text):
    from mpgan.config import load_config
    from mpgan.errors import ConfigError

    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match="is empty"):
        load_config(p)
