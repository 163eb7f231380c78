"""Rendered result blocks: every number in the docs comes from a committed results file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from mpgan.cli import main
from mpgan.report import RenderError, check_pages, find_blocks, render_pages
from mpgan.report.lint import lint_text

ROOT = Path(__file__).resolve().parents[1]

MACHINE = {"cpu": "Test CPU 9000", "cores": 2, "gflops": 123.4, "tensorflow": "2.21.0", "mpgan": "0.1.0",
           "date": "2026-12-06T10:00+00:00", "command": "python bench.py --seeds 0 1 2"}


def make_repo(tmp_path: Path) -> Path:
    res = tmp_path / "benchmarks" / "results" / "demo"
    res.mkdir(parents=True)
    (res / "results.csv").write_text(
        "setting,seed,fid,seconds\n"
        "a,0,6.0412,199.6\na,1,5.0786,211.0\na,2,5.6487,212.9\n"
        "b,0,9.7400,238.8\nb,1,10.1200,209.4\nb,2,11.7900,226.8\n")
    (res / "machine.json").write_text(json.dumps(MACHINE))
    (res / "results.md").write_text("# Demo\n\nIntro.\n\n## Verdict\n\nSee [the csv](results.csv).\n\n"
                                    "## Other\n\nNot this.\n")
    (tmp_path / "docs").mkdir()
    return tmp_path


TABLE = """# Page

<!-- render table
source: benchmarks/results/demo/results.csv
where: "setting == 'a'"
columns: [seed, {column: fid, label: FID, format: ".2f"}, {expr: "seconds / 60", label: min, format: ".1f"}]
-->
<!-- end render -->
"""


def test_table_renders_rows_formats_and_source_line(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text(TABLE)
    assert render_pages(root) == [page]
    text = page.read_text()
    assert "| seed | FID | min |" in text
    assert "| 0 | 6.04 | 3.3 |" in text and "| 2 | 5.65 | 3.5 |" in text
    assert "9.74" not in text  # the where clause keeps setting a only
    # the source line links the CSV where the site serves it and names the machine and command
    assert "[`benchmarks/results/demo/results.csv`](results/benchmarks/demo/results.csv)" in text
    assert "Test CPU 9000 (2 cores, 123.4 GFLOP/s)" in text and "`python bench.py --seeds 0 1 2`" in text
    assert check_pages(root) == []


def test_readme_links_point_into_the_repository(tmp_path):
    root = make_repo(tmp_path)
    (root / "README.md").write_text(TABLE)
    render_pages(root)
    assert "](benchmarks/results/demo/results.csv)" in (root / "README.md").read_text()


def test_editing_the_csv_without_rendering_fails_the_check(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text(TABLE)
    render_pages(root)
    csv = root / "benchmarks" / "results" / "demo" / "results.csv"
    csv.write_text(csv.read_text().replace("6.0412", "7.0412"))
    problems = check_pages(root)
    assert len(problems) == 1
    assert problems[0].startswith("docs/page.md:3 (table block) differs from its files")
    assert "-| 0 | 6.04 | 3.3 |" in problems[0] and "+| 0 | 7.04 | 3.3 |" in problems[0]
    assert main(["report", "--check", "--root", str(root)]) == 1
    render_pages(root)
    assert check_pages(root) == []


def test_a_hand_edited_number_fails_the_check(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text(TABLE)
    render_pages(root)
    page.write_text(page.read_text().replace("| 1 | 5.08 |", "| 1 | 4.98 |"))
    assert len(check_pages(root)) == 1


def test_aggregate_mean_interval_matches_student_t(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text("""<!-- render table
source: benchmarks/results/demo/results.csv
columns: [setting, {column: fid, label: FID, format: ".3f"}]
aggregate: {by: setting, stat: "mean [95% CI]", count: seeds}
-->
<!-- end render -->
""")
    render_pages(root)
    b = np.array([9.74, 10.12, 11.79])
    half = stats.t.ppf(0.975, 2) * b.std(ddof=1) / np.sqrt(3)
    expected = f"| b | 3 | {b.mean():.3f} [{b.mean() - half:.3f}, {b.mean() + half:.3f}] |"
    assert expected in page.read_text()


def test_a_column_can_aggregate_by_its_own_stat(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text("""<!-- render table
source: benchmarks/results/demo/results.csv
columns: [setting, {column: fid, label: FID, format: ".2f"}, {column: fid, label: total, format: ".2f", stat: sum}]
aggregate: {by: setting, stat: "mean"}
-->
<!-- end render -->
""")
    render_pages(root)
    b = np.array([9.74, 10.12, 11.79])
    assert f"| b | {b.mean():.2f} | {b.sum():.2f} |" in page.read_text()
    page.write_text(page.read_text().replace("stat: sum", "stat: median"))
    with pytest.raises(Exception, match="stat 'median' is not one of"):
        render_pages(root)


def test_text_values_aggregate_and_calc(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text("""<!-- render text
defaults: {source: benchmarks/results/demo/results.csv}
values:
  best: {where: "setting == 'a'", column: fid, agg: min}
  worst: {where: "setting == 'b'", column: fid, agg: max}
  ratio: {calc: "worst / best"}
  cpu: {source: benchmarks/results/demo/machine.json, key: cpu}
template: "Best {best:.2f}, worst {worst:.2f}, {ratio:.2f}× apart on {cpu}."
-->
<!-- end render -->
""")
    render_pages(root)
    assert f"Best 5.08, worst 11.79, {11.79 / 5.0786:.2f}× apart on Test CPU 9000." in page.read_text()


def test_include_section_rewrites_links(tmp_path):
    root = make_repo(tmp_path)
    (root / "docs" / "studies").mkdir()
    page = root / "docs" / "studies" / "demo.md"
    page.write_text("<!-- render include\nsource: benchmarks/results/demo/results.md\nsection: Verdict\n-->\n"
                    "<!-- end render -->\n")
    render_pages(root)
    text = page.read_text()
    assert "See [the csv](../../results/benchmarks/demo/results.csv)." not in text
    assert "See [the csv](../results/benchmarks/demo/results.csv)." in text
    assert "Not this." not in text and "Intro." not in text


@pytest.mark.parametrize("spec, message", [
    ("source: benchmarks/results/demo/gone.csv", "source benchmarks/results/demo/gone.csv does not exist"),
    ("source: benchmarks/results/demo/results.csv\nwhere: \"setting == 'z'\"", "matches no row"),
    ("source: benchmarks/results/demo/results.csv\ncolumns: [nope]", "has no column 'nope'"),
    ("source: benchmarks/results/demo/results.csv\ncolour: red", "unknown key(s) colour"),
])
def test_bad_blocks_name_page_line_and_file_and_write_nothing(tmp_path, capsys, spec, message):
    root = make_repo(tmp_path)
    good = root / "docs" / "a.md"
    good.write_text(TABLE)
    bad = root / "docs" / "b.md"
    bad.write_text(f"# B\n\n<!-- render table\n{spec}\n-->\nold\n<!-- end render -->\n")
    before = good.read_text(), bad.read_text()
    with pytest.raises(RenderError) as err:
        render_pages(root)
    assert str(err.value).startswith("docs/b.md:3 (table block): ") and message in str(err.value)
    assert main(["report", "--root", str(root)]) == 2
    assert message in capsys.readouterr().err
    assert (good.read_text(), bad.read_text()) == before  # nothing half-done


def test_malformed_csv_and_missing_machine_record(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text(TABLE)
    res = root / "benchmarks" / "results" / "demo"
    (res / "machine.json").unlink()
    with pytest.raises(RenderError, match="no machine.json beside benchmarks/results/demo/results.csv"):
        render_pages(root)
    (res / "machine.json").write_text(json.dumps(MACHINE))
    (res / "results.csv").write_text('a,b\n"1,2\n')
    with pytest.raises(RenderError, match="is not a readable CSV"):
        render_pages(root)


def test_unclosed_marker_is_an_error_but_examples_in_code_are_not(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text("```markdown\n<!-- render table\nsource: x.csv\n-->\n<!-- end render -->\n```\n")
    assert render_pages(root) == []
    page.write_text("text\n<!-- render table\nsource: x.csv\n-->\n")
    with pytest.raises(RenderError, match=r"docs/page.md:2: a '<!-- render' marker"):
        render_pages(root)


def test_lint_flags_prose_numbers_only():
    text = ("FID 6.04 after 3.5 minutes, 98 % agree, 3.1× faster.\n"
            "`lr 2e-4` and `0.5`, Python 3.11, 28×28 images.\n"
            "<!-- render text\ntemplate: x\n-->\nFID 6.04\n<!-- end render -->\n")
    assert [n for _, n, _ in lint_text(text)] == ["6.04", "3.5 minutes", "98 %", "3.1×"]


def test_committed_pages_match_their_results_files():
    """README.md and every docs page agree with the committed results files they render."""
    problems = check_pages(ROOT)
    assert not problems, "\n\n".join(problems) + "\n\nrun `mpgan report` and commit the pages"


def block_sources(page: Path, suffix: str = "") -> list[str]:
    """The files a page's blocks read (``source``, ``defaults.source``, ``values.*.source``)
    ending in ``suffix``, in order of first use."""
    out = []
    for block in find_blocks(page, page.read_text()):
        specs = [block.spec, block.spec.get("defaults") or {}, *(block.spec.get("values") or {}).values()]
        out += [s["source"] for s in specs if isinstance(s, dict) and str(s.get("source", "")).endswith(suffix)
                and s.get("source")]
    return list(dict.fromkeys(out))


def test_changing_a_committed_result_fails_the_check(tmp_path):
    """The real README: one number changed in a results CSV makes the check fail."""
    sources = block_sources(ROOT / "README.md", ".csv")
    assert sources, "README.md renders no CSV"
    root = tmp_path / "repo"
    for rel in {str(Path(s).parent) for s in block_sources(ROOT / "README.md")}:
        shutil.copytree(ROOT / rel, root / rel, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("cells", "runs", "figures"))
    shutil.copy(ROOT / "README.md", root / "README.md")
    assert check_pages(root, ["README.md"]) == []
    csv = root / sources[0]
    lines = csv.read_text().splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    for i, cell in enumerate(first):  # bump every number of the first row
        try:
            first[i] = repr(float(cell) * 1.37 + 1)
        except ValueError:
            pass
    csv.write_text("\n".join([",".join(header), ",".join(first), *lines[2:]]) + "\n")
    assert check_pages(root, ["README.md"]), f"changing {sources[0]} left README.md unchanged"


def test_committed_pages_type_no_measured_number_outside_blocks():
    """Numbers in prose (decimals, %, ×, durations) must come through a rendered block."""
    from mpgan.report.lint import lint_pages
    from mpgan.report.render import default_pages

    found = lint_pages(ROOT, default_pages(ROOT))
    assert not found, "\n".join(found)


def test_a_where_may_use_a_value_defined_above(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text("""<!-- render text
defaults: {source: benchmarks/results/demo/results.csv}
values:
  cut: {where: "setting == 'a' and seed == 1", column: fid}
  below: {where: "fid < {cut} + 1", column: fid, agg: count}
template: "{below} runs within one FID of {cut:.2f}."
-->
<!-- end render -->
""")
    render_pages(root)
    assert "3 runs within one FID of 5.08." in page.read_text()


def test_paired_interval_matches_scipy(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text("""<!-- render text
defaults: {source: benchmarks/results/demo/results.csv, column: fid}
values:
  d: {interval: {a: "setting == 'b'", b: "setting == 'a'"}}
template: "{d.each:+.3f}; {d:+.3f}; n {d.n}"
-->
<!-- end render -->
""")
    render_pages(root)
    diff = np.array([9.74 - 6.0412, 10.12 - 5.0786, 11.79 - 5.6487])
    lo, hi = stats.t.interval(0.95, 2, loc=diff.mean(), scale=stats.sem(diff))
    expected = (", ".join(f"{v:+.3f}" for v in diff) + f"; {diff.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]; n 3")
    assert expected in page.read_text()


def test_unpaired_interval_is_welch(tmp_path):
    root = make_repo(tmp_path)
    page = root / "docs" / "page.md"
    page.write_text("""<!-- render text
defaults: {source: benchmarks/results/demo/results.csv, column: fid}
values:
  d: {interval: {a: "setting == 'b'", b: "setting == 'a'", by: null}}
template: "{d:+.3f}"
-->
<!-- end render -->
""")
    render_pages(root)
    a, b = np.array([9.74, 10.12, 11.79]), np.array([6.0412, 5.0786, 5.6487])
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert f"{a.mean() - b.mean():+.3f} [{ci.low:+.3f}, {ci.high:+.3f}]" in page.read_text()


def test_markdown_table_digits_apply_to_floats_not_counts():
    import pandas as pd

    """``digits`` rounds measured values; a count of seeds stays a whole number."""
    from mpgan.report.markdown import markdown_table

    table = markdown_table(pd.DataFrame({"seeds": [3, 5], "fid": [0.5, 1.25]}), digits=3)
    assert table.splitlines()[2:] == ["| 3 | 0.500 |", "| 5 | 1.250 |"]
