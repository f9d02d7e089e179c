"""Version tracking against a real SQLite catalog (archive/versions.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archive.catalog import Catalog
from archive.content import content_hash
from archive.exchange import RecordLocation
from archive.urls import article_id_for, normalize_url
from archive.versions import Decision, Observation, VersionTracker

URL = "https://lite.cnn.com/2024/03/01/us/bridge-reopening/index.html"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

TITLE = "Harbor bridge to reopen next month after repairs"
PARAS = [
    (
        "The Harbor Street bridge will reopen to traffic on April 2, city officials said on "
        "Friday, ending a closure that lasted nearly a year."
    ),
    (
        "\u201cCrews have worked overnight for weeks to get us here,\u201d Mayor Ana Ruiz said at a "
        "news conference. \u201cWe\u2019re on schedule and on budget.\u201d"
    ),
    (
        "The bridge carries about 40,000 vehicles a day. Engineers found corrosion in two "
        "support beams during a routine inspection last spring."
    ),
    "Bus routes that were diverted during the repairs will return to their usual stops the same day.",
]
TEXT = "\n\n".join(PARAS)


@pytest.fixture
def catalog(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    yield catalog
    catalog.close()


@pytest.fixture
def tracker(catalog):
    return VersionTracker(catalog)


class Article:
    """Observations of one article, one capture row each, at increasing times."""

    def __init__(self, catalog: Catalog, tracker: VersionTracker) -> None:
        self.catalog = catalog
        self.tracker = tracker
        self.n = 0

    def observe(
        self,
        *,
        title: str = TITLE,
        text: str = TEXT,
        authors=("Jane Doe",),
        modified_at: str | None = "2024-03-01T11:00:00Z",
        retried: bool = False,
        commit: bool = True,
    ) -> Decision:
        self.n += 1
        captured_at = T0 + timedelta(hours=self.n)
        capture_id = self.catalog.add_capture(
            run_id="run-1",
            site="cnn-lite",
            url=URL,
            kind="article",
            fetched_at=captured_at,
            status=200,
            outcome="fetched",
            record_type="response",
        )
        obs = Observation(
            article_id=article_id_for(URL),
            site="cnn-lite",
            url=URL,
            normalized_url=normalize_url(URL),
            captured_at=captured_at,
            fields={
                "title": title,
                "authors": list(authors),
                "text": text,
                "language": "en",
                "section": "us",
                "published_at": "2024-03-01T09:00:00Z",
                "modified_at": modified_at,
                "dates_source": {"modified_at": "page:timestamp"},
                "canonical_url": None,
            },
            capture_id=capture_id,
            response=RecordLocation(
                f"f-{self.n}.warc.gz", 100 * self.n, 50, f"<urn:uuid:{self.n}>"
            ),
            run_id="run-1",
            retried=retried,
        )
        decision = self.tracker.decide(obs)
        if commit:
            self.tracker.commit(obs, decision)
        self.last_capture_id = capture_id
        return decision

    @property
    def id(self) -> str:
        return article_id_for(URL)

    def row(self) -> dict:
        row = self.catalog.article(self.id)
        assert row is not None
        return row

    def versions(self) -> list[dict]:
        return self.catalog.versions(self.id)

    def capture(self) -> dict:
        row = self.catalog.capture(self.last_capture_id)
        assert row is not None
        return row


@pytest.fixture
def article(catalog, tracker):
    return Article(catalog, tracker)


def test_first_observation_is_new_version_1(article):
    decision = article.observe()
    assert decision.outcome == "new" and decision.change == "new"
    assert decision.version == 1 and decision.makes_version
    assert decision.content_sha256 == content_hash(TITLE, ["Jane Doe"], TEXT)
    record = decision.record
    assert record["article_id"] == article.id
    assert record["version"] == 1 and record["change"] == "new"
    assert record["changed_fields"] == []
    assert record["url"] == URL and record["site"] == "cnn-lite"
    assert record["title"] == TITLE and record["authors"] == ["Jane Doe"] and record["text"] == TEXT
    assert record["captured_at"] == "2024-03-01T13:00:00Z"
    assert record["warc"] == {
        "filename": "f-1.warc.gz",
        "offset": 100,
        "length": 50,
        "record_id": "<urn:uuid:1>",
    }
    assert "diff" not in record

    row = article.row()
    assert row["latest_version"] == 1
    assert row["url"] == normalize_url(URL)
    assert row["title"] == TITLE
    versions = article.versions()
    assert [(v["version"], v["change"]) for v in versions] == [(1, "new")]
    assert versions[0]["record"] == record
    assert versions[0]["warc_record_id"] == "<urn:uuid:1>"
    capture = article.capture()
    assert (capture["outcome"], capture["article_id"], capture["version"]) == ("new", article.id, 1)


def test_same_content_is_unchanged(article):
    article.observe()
    seen_before = article.row()["last_seen_at"]
    decision = article.observe()
    assert decision.outcome == "unchanged" and not decision.makes_version
    assert decision.previous_version == 1 and decision.record is None
    assert len(article.versions()) == 1
    assert article.row()["latest_version"] == 1
    assert article.row()["last_seen_at"] >= seen_before
    capture = article.capture()
    assert (capture["outcome"], capture["version"]) == ("unchanged", 1)


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(TEXT.replace("\n\n", "\n\n\n").replace(". ", ".  "), id="whitespace"),
        pytest.param(
            TEXT.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'"),
            id="straight-quotes",
        ),
        pytest.param("  " + TEXT.replace(" ", "\u00a0", 3) + "\n", id="nbsp-and-padding"),
    ],
)
def test_cosmetic_changes_are_unchanged(article, variant):
    article.observe()
    assert article.observe(text=variant, title=f"  {TITLE} ").outcome == "unchanged"
    assert len(article.versions()) == 1


def test_only_modified_at_changed_is_timestamp_only(article):
    article.observe(modified_at="2024-03-01T11:00:00Z")
    decision = article.observe(modified_at="2024-03-01T15:30:00Z")
    assert decision.outcome == "timestamp-only" and not decision.makes_version
    assert decision.previous_version == 1
    assert len(article.versions()) == 1
    row = article.row()
    assert row["modified_at"] == "2024-03-01T15:30:00Z"
    assert row["latest_version"] == 1
    assert article.capture()["outcome"] == "timestamp-only"


def test_the_same_new_modified_at_seen_again_is_unchanged(article):
    article.observe(modified_at="2024-03-01T11:00:00Z")
    assert article.observe(modified_at="2024-03-01T15:30:00Z").outcome == "timestamp-only"
    assert article.observe(modified_at="2024-03-01T15:30:00Z").outcome == "unchanged"


def test_missing_modified_at_with_same_content_is_unchanged(article):
    article.observe(modified_at="2024-03-01T11:00:00Z")
    assert article.observe(modified_at=None).outcome == "unchanged"


def test_paragraph_edit_is_edit_version_2_with_a_diff(article):
    article.observe()
    edited = TEXT.replace("40,000 vehicles", "45,000 vehicles")
    decision = article.observe(text=edited, modified_at="2024-03-01T16:00:00Z")
    assert decision.outcome == "edit" and decision.change == "edit"
    assert decision.version == 2 and decision.previous_version == 1
    assert decision.changed_fields == ["text"]
    record = decision.record
    assert record["changed_fields"] == ["text"]
    assert record["changed_dates"] == ["modified_at"]
    diff = record["diff"]
    assert diff["from_version"] == 1
    assert diff["chars_added"] == len("45,000") and diff["chars_removed"] == len("40,000")
    assert (diff["paragraphs_added"], diff["paragraphs_removed"]) == (1, 1)
    assert diff["unified"].splitlines()[:2] == ["--- version 1", "+++ version 2"]
    assert any(line.startswith("+") and "45,000" in line for line in diff["unified"].splitlines())
    assert [v["version"] for v in article.versions()] == [1, 2]
    row = article.row()
    assert row["latest_version"] == 2 and row["modified_at"] == "2024-03-01T16:00:00Z"
    assert (article.capture()["outcome"], article.capture()["version"]) == ("edit", 2)


def test_title_change_is_an_edit_of_the_title(article):
    article.observe()
    decision = article.observe(title="Harbor bridge to reopen April 2")
    assert decision.outcome == "edit" and decision.version == 2
    assert decision.changed_fields == ["title"]
    assert decision.record["diff"]["chars_added"] == 0  # the text did not change
    assert article.row()["title"] == "Harbor bridge to reopen April 2"


def test_author_change_is_an_edit_of_the_authors(article):
    article.observe()
    decision = article.observe(authors=("Jane Doe", "Sam Lee"))
    assert decision.outcome == "edit" and decision.changed_fields == ["authors"]


def test_back_to_an_earlier_version_is_a_revert(article):
    article.observe()
    article.observe(text=TEXT.replace("April 2", "April 9"))
    decision = article.observe()
    assert decision.outcome == "revert" and decision.change == "revert"
    assert decision.version == 3 and decision.reverted_to == 1
    assert decision.record["reverted_to"] == 1
    assert decision.record["changed_fields"] == ["text"]
    assert decision.record["diff"]["from_version"] == 2
    assert [(v["version"], v["change"]) for v in article.versions()] == [
        (1, "new"),
        (2, "edit"),
        (3, "revert"),
    ]
    assert article.versions()[2]["content_sha256"] == article.versions()[0]["content_sha256"]
    assert article.row()["latest_version"] == 3


def test_collapsed_text_asks_for_a_retry_then_is_suspect(article):
    article.observe()
    collapsed = PARAS[0][:60]  # about 90 % shorter: a broken or paywalled page
    retry = article.observe(text=collapsed, commit=False)
    assert retry.outcome == "suspect-retry" and not retry.makes_version
    assert retry.record is None and retry.previous_version == 1
    assert "shrank" in retry.detail

    suspect = article.observe(text=collapsed, retried=True)
    assert suspect.outcome == "suspect" and not suspect.makes_version and suspect.record is None
    assert len(article.versions()) == 1
    assert article.row()["latest_version"] == 1
    capture = article.capture()
    assert capture["outcome"] == "suspect" and "shrank" in capture["error"]
    # The real text coming back is the latest version, unchanged.
    assert article.observe().outcome == "unchanged"


def test_text_halved_is_suspect_but_a_trimmed_paragraph_is_an_edit(article):
    article.observe()
    assert article.observe(text=PARAS[0], commit=False).outcome == "suspect-retry"
    trimmed = article.observe(text="\n\n".join(PARAS[:3]))
    assert trimmed.outcome == "edit"
    assert trimmed.record["diff"]["paragraphs_removed"] == 1


def test_a_short_article_is_not_suspect_for_being_short(article):
    article.observe(text="Breaking: the bridge is closed.")
    assert article.observe(text="Breaking: the harbor bridge is closed.").outcome == "edit"
