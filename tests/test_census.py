"""Bad input, command by command: each mistake is refused with one `error:` line that names
the culprit, exit 2, before anything trains, and leaves no folder behind."""

from __future__ import annotations

import pytest

from mpgan.cli import main
from tests.census_cases import CASES, KNOWN, check_case


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


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The census's files and its two small trained runs, shared by every case."""
    from tests.census_cases import make_env, release

    env = make_env(tmp_path_factory.mktemp("census"))
    yield env
    release(env)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_error_line_naming_it(case, env, tmp_path):
    if any(n not in env for n in case.needs):
        pytest.skip("needs a read-only folder (chattr +i) on this file system")
    if case.id in KNOWN:
        pytest.xfail(KNOWN[case.id])
    problem = check_case(case, env, tmp_path / "case")
    assert problem is None, problem


def test_the_census_has_at_least_100_cases_in_every_group():
    groups = {c.group for c in CASES}
    assert len(CASES) >= 100 and len({c.id for c in CASES}) == len(CASES)
    assert groups == {"config", "tables", "images", "run folders", "checkpoints", "output paths", "sweeps",
                      "studies"}


def test_report_on_a_page_without_blocks_says_so(tmp_path, capsys):
    """It used to print "every block was already up to date" having rendered nothing."""
    page = tmp_path / "notes.md"
    page.write_text("# Notes\n\nNo numbers here.\n")
    assert main(["report", "--root", str(tmp_path), "notes.md"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"{page} holds no render blocks (<!-- render VIEW ... -->); nothing to render in it"
    assert page.read_text() == "# Notes\n\nNo numbers here.\n"


def test_an_os_error_any_command_meets_is_one_error_line(monkeypatch, capsys):
    """The last resort behind every command's own path checks: no traceback."""
    import mpgan.cli

    def fail(args):
        raise PermissionError(13, "Permission denied", "/data/locked.csv")

    monkeypatch.setattr(mpgan.cli, "_cmd_list", fail)
    assert main(["list"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["error: Permission denied: /data/locked.csv"]


def test_a_reader_that_leaves_early_is_not_an_error(monkeypatch, capsys):
    """`mpgan list | head -1`: the closed pipe ends the command quietly."""
    import mpgan.cli

    def closed(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(mpgan.cli, "_cmd_list", closed)
    assert main(["list"]) == 0
    assert capsys.readouterr().err == ""
