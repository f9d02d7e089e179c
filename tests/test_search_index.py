"""Full-text search over every version (archive/search_index.py, search_query.py,
search_schema.py, migration 0005) on SQLite FTS5 and on the real PostgreSQL: the same query
semantics, added/removed sentences, filters, ranking, escaped snippets, hostile queries,
rebuilding, the migration and the version tracker's seam."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert, text

from archive import catalog_schema as t
from archive import migrations, search_index, search_schema
from archive.catalog import Catalog
from archive.search_index import SearchIndexNotReady, index_version, rebuild, search
from archive.search_query import SearchQueryError, parse, to_fts5, to_tsquery
from archive.versions import Observation, VersionTracker

pytestmark = pytest.mark.timeout(240)
T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

# (article, site, [(title, authors, text), …]) — each later version an edit of the one before.
STORIES = [
    (
        "storm",
        "cnn-lite",
        [
            (
                "Hurricane Delia slams Port Arden",
                ["Dana Whitfield"],
                "Hurricane Delia made landfall near Port Arden early Tuesday.\n\n"
                "At least 12 people were killed, officials said.\n\n"
                '"We have never seen water this high," said Mayor Elena Ruiz.',
            ),
            (
                "Hurricane Delia slams Port Arden",
                ["Dana Whitfield"],
                "Hurricane Delia made landfall near Port Arden early Tuesday.\n\n"
                "At least 17 people were killed, officials said.\n\n"
                '"We have never seen water this high," said Mayor Elena Ruiz.\n\n'
                "The Coast Guard rescued 85 people from flooded homes.",
            ),
            (
                "Death toll from Hurricane Delia rises",
                ["Dana Whitfield", "Omar Haddad"],
                "Hurricane Delia made landfall near Port Arden early Tuesday.\n\n"
                "At least 17 people were killed, officials said.\n\n"
                "The Coast Guard rescued 85 people from flooded homes.",
            ),
        ],
    ),
    (
        "court",
        "npr-text",
        [
            (
                "Judge blocks social media age law",
                ["Helen Okafor"],
                "A federal judge on Friday blocked the state's age-verification law for social media.\n\n"
                "Judge Miriam Castellano wrote that the law likely violated the First Amendment.",
            ),
            (
                "Judge blocks social media age law",
                ["Helen Okafor"],
                "A federal judge on Friday blocked the state's age-verification law for social media.\n\n"
                "Judge Miriam Castellanos wrote that the law likely violated the First Amendment.\n\n"
                "Correction: An earlier version of this story misspelled the judge's name.",
            ),
        ],
    ),
    (
        "cafe",
        "npr-text",
        [
            (
                "Caf\u00e9 owners in Z\u00fcrich fight rent rises",
                ["L\u00e9a M\u00fcller"],
                "The owners of the caf\u00e9 say the U.S. chain offered 3.5 million francs for the lease.\n\n"
                "Covid-19 closures left many caf\u00e9s in debt.",
            ),
        ],
    ),
    (
        "flood",
        "cnn-lite",
        [
            (
                "River floods farmland",
                ["Leo Park"],
                "The river rose overnight and flooded farmland near the town. No storm was reported.\n\n"
                "Farmers moved cattle to higher ground.",
            ),
        ],
    ),
    (
        "hostile",
        "tiny-gazette",
        [
            (
                "<script>alert('title')</script> & friends",
                ["<b>Mallory</b>"],
                'The page said <script>alert("x")</script> and \x02fake[ marks ]fake\x03 near the flood barrier.\n\n'
                "Nothing else.",
            ),
        ],
    ),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'catalog.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    catalog = Catalog(url)
    yield catalog
    catalog.close()


def _insert(
    catalog: Catalog, *, index: bool = True, stories=STORIES
) -> dict[tuple[str, int], datetime]:
    """Insert the stories (articles, versions) as the crawl would; index each version in
    the same transaction unless `index` is false. Returns each version's capture time."""
    times = {}
    step = 0
    for article, site, versions in stories:
        with catalog.engine.begin() as conn:
            conn.execute(insert(t.articles).values(
                id=article, site=site, url=f"https://{site}.test/{article}", first_seen_at=T0,
                last_seen_at=T0, last_changed_at=T0, latest_version=len(versions), title=versions[-1][0]))  # fmt: skip
            previous = None
            for number, (title, authors, body) in enumerate(versions, 1):
                at = T0 + timedelta(days=step)
                step += 1
                times[(article, number)] = at
                record = {"article_id": article, "site": site, "version": number, "title": title, "authors": authors,
                          "text": body, "published_at": "2025-03-04T09:00:00Z",
                          "modified_at": at.isoformat().replace("+00:00", "Z"),
                          "captured_at": at.isoformat().replace("+00:00", "Z")}  # fmt: skip
                conn.execute(insert(t.versions).values(article_id=article, version=number, content_sha256=f"{article}{number}",
                                                       change="edit", captured_at=at, record=record))  # fmt: skip
                if index:
                    index_version(conn, article, number, record, previous, captured_at=at)
                previous = record
    return times


def _keys(results) -> set[tuple[str, int]]:
    return {(h.article_id, h.version) for h in results}


def test_words_phrases_or_exclusion_prefix(catalog):
    _insert(catalog)
    s = catalog.engine
    assert _keys(search(s, "castellanos")) == {("court", 2)}
    assert _keys(search(s, "CASTELLANO")) == {("court", 1)}
    assert _keys(search(s, "people killed")) == {("storm", 1), ("storm", 2), ("storm", 3)}
    assert _keys(search(s, '"people were killed"')) == {("storm", 1), ("storm", 2), ("storm", 3)}
    assert _keys(search(s, '"killed were people"')) == set()
    assert _keys(search(s, "coast OR farmers")) == {("storm", 2), ("storm", 3), ("flood", 1)}
    # "flooded" in the hurricane story's later versions; the river story says "No storm".
    assert _keys(search(s, "flood* -storm")) == {("storm", 2), ("storm", 3), ("hostile", 1)}
    assert _keys(search(s, "flood*")) == {("storm", 2), ("storm", 3), ("flood", 1), ("hostile", 1)}
    assert _keys(search(s, "castellan*")) == {("court", 1), ("court", 2)}
    # Titles and authors are searched too; words are case- and accent-insensitive.
    assert _keys(search(s, "haddad")) == {("storm", 3)}
    assert _keys(search(s, "cafe zurich mueller OR muller")) == {("cafe", 1)}
    assert _keys(search(s, '"U.S." "3.5 million" covid-19')) == {("cafe", 1)}
    # OR binds closer than AND: mayor AND (coast OR farmers).
    assert _keys(search(s, "mayor coast OR farmers")) == {("storm", 2)}


def test_added_and_removed_sentences(catalog):
    _insert(catalog)
    s = catalog.engine
    # "Which stories quietly dropped the mayor's quote?" — the version that removed it.
    assert _keys(search(s, "mayor", scope="removed")) == {("storm", 3)}
    assert _keys(search(s, "mayor")) == {("storm", 1), ("storm", 2)}
    assert _keys(search(s, "coast guard", scope="added")) == {("storm", 2)}
    # A changed sentence: added as it is now, removed as it was.
    assert _keys(search(s, "17", scope="added")) == {("storm", 2)}
    assert _keys(search(s, "12", scope="removed")) == {("storm", 2)}
    assert _keys(search(s, "correction", scope="added")) == {("court", 2)}
    hit = search(s, "12", scope="removed").hits[0]
    assert "least <mark>12</mark> people were killed, officials said" in hit.snippet
    assert hit.edit_types == ["append", "numbers"]
    assert search(s, "castellanos").hits[0].edit_types == ["correction", "minor"]


def test_site_and_date_filters(catalog):
    times = _insert(catalog)
    s = catalog.engine
    assert _keys(search(s, "flood*", site="cnn-lite")) == {("storm", 2), ("storm", 3), ("flood", 1)}
    assert _keys(search(s, "flood*", site="cnn")) == set()
    assert _keys(search(s, "flood*", site="tiny-gazette")) == {("hostile", 1)}
    at = times[("storm", 2)]
    assert _keys(search(s, "killed", since=at)) == {("storm", 2), ("storm", 3)}
    assert _keys(search(s, "killed", until=at)) == {("storm", 1), ("storm", 2)}
    assert _keys(search(s, "killed", since=at, until=at)) == {("storm", 2)}
    assert (
        _keys(search(s, "killed", since=at + timedelta(seconds=1), until=at + timedelta(hours=23)))
        == set()
    )
    # A date is its whole day (UTC), in either bound; ISO strings are accepted.
    assert _keys(search(s, "killed", since=at.date(), until=at.date())) == {("storm", 2)}
    assert _keys(search(s, "killed", since=at.date().isoformat(), until=(at + timedelta(days=1)).isoformat())) == {
        ("storm", 2), ("storm", 3)}  # fmt: skip
    assert _keys(search(s, "killed", since=date(2030, 1, 1))) == set()
    assert _keys(search(s, "killed", since=at, until=at - timedelta(days=1))) == set()


def test_ranking_paging_and_the_candidate_cap(catalog, monkeypatch):
    _insert(catalog)
    s = catalog.engine
    # A title match weighs ten times a text match: "killed" in every text, "toll" in one title.
    ranked = search(s, "killed OR toll")
    assert [(h.article_id, h.version) for h in ranked][0] == ("storm", 3) and len(ranked) == 3
    ranked = search(s, "hurricane delia")
    assert [h.rank for h in ranked] == sorted(
        (h.rank for h in ranked), reverse=True
    ) and ranked.hits[0].rank > 0
    assert _keys(ranked) == {("storm", 1), ("storm", 2), ("storm", 3)}
    assert ranked.candidates == 3 and not ranked.capped
    flood = search(s, "farmland OR coast OR flood*")
    top = flood.hits[0]
    assert (top.article_id, top.version) == ("flood", 1)  # in the title and twice in the text
    assert (
        top.url == "https://cnn-lite.test/flood"
        and top.site == "cnn-lite"
        and top.title == "River floods farmland"
    )
    assert top.title_html == "River <mark>floods</mark> <mark>farmland</mark>"
    page1, page2 = search(s, "flood*", limit=2), search(s, "flood*", limit=2, offset=2)
    assert len(page1) == len(page2) == 2 and not _keys(page1) & _keys(page2)
    assert _keys(page1) | _keys(page2) == _keys(search(s, "flood*"))
    assert len(search(s, "flood*", offset=50)) == 0
    # More matches than candidates: the newest are ranked, and the result says so.
    monkeypatch.setattr(search_index, "CANDIDATES", 2)
    capped = search(s, "flood*", limit=1)
    assert capped.capped and capped.candidates == 2
    assert _keys(search(s, "flood*", limit=2)) == {("hostile", 1), ("flood", 1)}  # the two newest
    assert len(search(s, "flood*", limit=3)) == 3  # a larger page ranks as many as it shows


def test_common_words_do_not_weigh_in_the_ranking(catalog, monkeypatch):
    _insert(catalog)
    s = catalog.engine
    best = search(s, "people coast")  # 'coast' only in storm 2 and 3 ('Coast Guard'); 3 is shorter
    assert best.hits[0].rank > 0
    # Every word common (as if in more versions than RANK_MAX_DF): newest first.
    monkeypatch.setattr(search_index, "RANK_MAX_DF", 0)
    newest = search(s, "people coast")
    if catalog.dialect == "sqlite":
        assert [h.version for h in newest] == [3, 2] and {h.rank for h in newest} == {0.0}
        assert newest.candidates == 2 and not newest.capped
        one = search(
            s, "people coast", limit=1
        )  # newest first: only the page is read, and one more
        assert [h.version for h in one] == [3] and one.candidates == 1 and one.capped
        assert [h.version for h in search(s, "people coast", limit=1, offset=1)] == [2]
    # The filter decides what matches, whatever the ranking.
    assert _keys(newest) == _keys(best) == {("storm", 2), ("storm", 3)}


def test_snippets_are_escaped_and_marks_cannot_be_forged(catalog):
    _insert(catalog)
    hit = search(catalog.engine, "barrier").hits[0]
    assert "<script>" not in hit.snippet and "<script>" not in hit.title_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in hit.snippet
    assert "<mark>barrier</mark>" in hit.snippet and hit.snippet.count("<mark>") == 1
    assert "fake[ marks ]fake" in hit.snippet and "\x02" not in hit.snippet  # text, not highlights
    assert hit.title_html == "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; &amp; friends"
    assert ("barrier", True) in hit.snippet_parts
    titled = search(catalog.engine, "script friends").hits[0]
    assert titled.title_html.count("<mark>") >= 2 and "<script>" not in titled.title_html
    data = hit.to_dict()
    assert data["captured_at"].endswith("Z") and data["article_id"] == "hostile"


HOSTILE = [
    '"',
    '""',
    '"""',
    "'",
    "-",
    "--",
    "*",
    "**",
    "OR",
    "OR OR",
    "AND",
    "NOT",
    "NEAR(a b)",
    "a AND",
    "a OR",
    "-a",
    "title:flood",
    "{text}: flood",
    "text : flood",
    "a^b",
    "flood^",
    "^flood",
    "+flood",
    "(flood",
    "flood)",
    "((((flood",
    '"flood',
    'flood"',
    'a"b"c',
    '"flood" *',
    "flood*",
    "f*",
    "\x00flood",
    "flood\x00",
    "\\",
    "'; DROP TABLE versions; --",
    "flood'); DROP TABLE search_docs; --",
    "1=1 OR 1=1",
    "$$",
    ":*",
    "!flood",
    "flood & storm",
    "flood | storm",
    "<-> flood",
    "flood:*",
    "'flood':*",
    "ÿ",
    "🌊 flood",
    "\u200bflood",
    "NEAR/2",
    "flood NOT",
    "- flood",
    "-flood -storm",
    "x" * 999,
    "a " * 30,
    '"' + "word " * 40 + '"',
]


def test_hostile_queries_never_reach_the_database_as_syntax(catalog):
    _insert(catalog, stories=STORIES[3:])
    answered = refused = 0
    for query in HOSTILE:
        try:
            results = search(catalog.engine, query)
        except SearchQueryError as exc:
            assert str(exc) and "\n" not in str(exc), query
            refused += 1
            continue
        assert isinstance(results.candidates, int), query
        answered += 1
    assert answered > 20 and refused > 5
    assert _keys(search(catalog.engine, "'; DROP TABLE versions; --")) == set()
    assert _keys(search(catalog.engine, "flood') --")) == {
        ("hostile", 1)
    }  # only 'flood' is searched
    assert (
        _keys(search(catalog.engine, 'flood*" OR "1"="1')) == set()
    )  # (flood OR "1") AND "1": words, nothing more
    with catalog.engine.connect() as conn:  # nothing was dropped
        assert conn.execute(text("SELECT count(*) FROM versions")).scalar_one() == 2
        assert conn.execute(text("SELECT count(*) FROM search_docs")).scalar_one() == 2


def test_queries_that_cannot_be_searched_say_why():
    for query, message in [("", "nothing to search for"), ("-storm", "exclusions"), ("fl*", "at least 3 letters"),
                           ("x" * 1001, "too long"), (" ".join(f"w{i}" for i in range(25)), "too many terms"),
                           ('"' + "w " * 33 + '"', "at most 32 words")]:  # fmt: skip
        with pytest.raises(SearchQueryError, match=message):
            parse(query)
    with pytest.raises(ValueError, match="scope"):
        search(create_engine("sqlite://"), "x", scope="title")


def test_translations():
    parsed = parse('flood "storm surge" OR evac* -"coast guard" U.S.')
    assert to_fts5(parsed, ("title", "text")) == (
        '{title text} : ("flood" AND ("storm surge" OR "evac" *) AND "u s" NOT "coast guard")'
    )
    assert to_fts5(parsed, ("added",), site_token="x61") == (
        '({added} : ("flood" AND ("storm surge" OR "evac" *) AND "u s" NOT "coast guard")) AND ({site} : "x61")'
    )
    assert (
        to_tsquery(parsed)
        == "'flood' & (('storm' <-> 'surge') | 'evac':*) & ('u' <-> 's') & !('coast' <-> 'guard')"
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.sampled_from(list("ab \"-*()^:{}'\\\x00é東") + ["OR", "NOT", "NEAR", "AND", "flood"]),
        max_size=20,
    )
)
def test_random_queries_only_ever_fail_as_query_errors(tmp_path_factory, parts):
    engine = _fuzz_engine(tmp_path_factory)
    try:
        search(engine, "".join(parts))
    except SearchQueryError:
        pass


_FUZZ: dict[str, object] = {}


def _fuzz_engine(factory):
    if "catalog" not in _FUZZ:
        catalog = Catalog(f"sqlite:///{factory.mktemp('fuzz') / 'catalog.sqlite'}")
        _insert(catalog, stories=STORIES[3:])
        _FUZZ["catalog"] = catalog
    return _FUZZ["catalog"].engine  # type: ignore[attr-defined]


def test_random_queries_on_postgresql(postgres_url):
    catalog = Catalog(postgres_url)
    try:
        _insert(catalog, stories=STORIES[3:])
        import random

        rng = random.Random(5)
        alphabet = list("ab \"-*()^:{}'\\é東!&|<>") + ["OR", "NOT", "flood", "storm"]
        for _ in range(300):
            query = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
            try:
                search(catalog.engine, query)
            except SearchQueryError:
                pass
    finally:
        catalog.close()


def test_same_millisecond_captures_and_a_repeated_write(catalog):
    stories = [("a1", "s", [("Twin one", [], "Identical moment text.")]),
               ("a2", "s", [("Twin two", [], "Identical moment text.")])]  # fmt: skip
    with catalog.engine.begin() as conn:
        for article, site, [(title, authors, body)] in stories:
            conn.execute(insert(t.articles).values(id=article, site=site, url=article, first_seen_at=T0, last_seen_at=T0,
                                                   last_changed_at=T0, latest_version=1))  # fmt: skip
            record = {"site": site, "title": title, "authors": authors, "text": body}
            conn.execute(insert(t.versions).values(article_id=article, version=1, content_sha256=article, change="new",
                                                   captured_at=T0, record=record))  # fmt: skip
            index_version(conn, article, 1, record, None, captured_at=T0)
            index_version(
                conn, article, 1, record, None, captured_at=T0
            )  # again: replaced, not doubled
    assert _keys(search(catalog.engine, "identical moment", since=T0, until=T0)) == {
        ("a1", 1),
        ("a2", 1),
    }
    assert search(catalog.engine, "identical").candidates == 2


def test_rebuild_indexes_an_existing_catalog_in_batches(catalog):
    _insert(catalog, index=False)
    assert search(catalog.engine, "castellanos").candidates == 0
    seen = []
    assert (
        rebuild(catalog.engine, lambda done, total: seen.append((done, total)), batch_size=3) == 8
    )
    assert seen == [(3, 8), (6, 8), (8, 8)]
    assert _keys(search(catalog.engine, "castellanos")) == {("court", 2)}
    assert _keys(search(catalog.engine, "mayor", scope="removed")) == {("storm", 3)}
    assert search(catalog.engine, "12", scope="removed").hits[0].edit_types == ["append", "numbers"]
    # Rebuilding again gives the same index (nothing doubled).
    rebuild(catalog.engine)
    assert search(catalog.engine, "people").candidates == 3


def test_rebuild_with_worker_processes_gives_the_same_index(catalog, monkeypatch):
    _insert(catalog, index=False)
    monkeypatch.setattr(search_index, "PARALLEL_FROM", 1)
    assert rebuild(catalog.engine, batch_size=2, workers=2) == 8
    assert _keys(search(catalog.engine, "mayor", scope="removed")) == {("storm", 3)}
    assert search(catalog.engine, "12", scope="removed").hits[0].edit_types == ["append", "numbers"]
    assert search(catalog.engine, "flood*").candidates == 4


def test_migration_builds_a_small_archive_and_marks_a_large_one_pending(tmp_path, monkeypatch):
    from alembic import command

    for size_limit, expect in [(10_000, "ready"), (2, "pending")]:
        url = f"sqlite:///{tmp_path / f'old{size_limit}.sqlite'}"
        engine = create_engine(url)
        with engine.begin() as conn:  # a catalog at 0002 with versions, before the search index
            config = migrations.alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
        engine.dispose()
        old = Catalog.__new__(Catalog)
        old.engine = create_engine(url)
        _insert(old, index=False)
        old.engine.dispose()
        monkeypatch.setattr(search_index, "BUILD_IN_MIGRATION", size_limit)
        catalog = Catalog(url)
        try:
            with catalog.engine.connect() as conn:
                assert search_schema.get_state(conn) == expect
                assert (
                    conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                    == migrations.HEAD
                )
            if expect == "ready":
                assert _keys(search(catalog.engine, "castellanos")) == {("court", 2)}
            else:
                with pytest.raises(SearchIndexNotReady, match="search --rebuild"):
                    search(catalog.engine, "castellanos")
                rebuild(catalog.engine)
                assert _keys(search(catalog.engine, "castellanos")) == {("court", 2)}
        finally:
            catalog.close()


def test_downgrade_removes_the_index(empty_db_url):
    from alembic import command

    engine = create_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            config = migrations.alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            assert search_schema.state_if_exists(conn) == "ready"
            command.downgrade(config, "0002")
            assert search_schema.state_if_exists(conn) is None
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    return (
        f"sqlite:///{tmp_path / 'c.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )


def test_the_version_tracker_indexes_each_version_it_records(catalog):
    tracker = VersionTracker(catalog)
    texts = ["The mayor opened the new bridge on Monday. Hundreds of people crossed it.",
             "The mayor opened the new bridge on Monday. Thousands of people crossed it.",
             "The mayor opened the new bridge on Monday. Thousands of people crossed it. Traffic was light."]  # fmt: skip
    for k, body in enumerate(texts):
        obs = Observation(article_id="bridge", site="cnn-lite", url="https://x.test/bridge",
                          normalized_url="https://x.test/bridge", captured_at=T0 + timedelta(hours=k),
                          fields={"title": "Bridge opens", "authors": ["A. Writer"], "text": body,
                                  "modified_at": "2025-03-04T09:00:00Z"})  # fmt: skip
        decision = tracker.decide(obs)
        assert decision.makes_version
        tracker.commit(obs, decision)
    assert _keys(search(catalog.engine, "bridge")) == {("bridge", 1), ("bridge", 2), ("bridge", 3)}
    assert _keys(search(catalog.engine, "hundreds", scope="removed")) == {("bridge", 2)}
    hits = {h.version: h.edit_types for h in search(catalog.engine, "bridge")}
    assert hits == {1: [], 2: ["numbers", "stealth"], 3: ["append", "stealth"]}


def test_long_prefixes_expand_to_the_words_they_start(tmp_path, monkeypatch):
    """SQLite: a prefix longer than the FTS5 prefix index becomes an OR of the indexed words
    it starts (search_vocab), the same matches as FTS5's own prefix query; past
    MAX_EXPANSION words that query is used."""
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        _insert(catalog)
        with catalog.engine.connect() as conn:
            vocab = set(conn.execute(text("SELECT term FROM search_vocab")).scalars())
            assert {
                "castellano",
                "castellanos",
                "cafe",
                "zurich",
                "flooded",
                "u",
                "s",
                "3",
                "5",
            } <= vocab
            cur = search_index._cursor(conn)
            expanded = search_index._expand_prefixes(cur, parse("castel* -flood* flo* z*rich"))
        assert expanded.groups[0][0].expansion == ("castellano", "castellanos")
        assert expanded.excluded[0].expansion == ("flood", "flooded", "floods")
        assert expanded.groups[1][0].expansion is None  # 3 letters: the prefix index answers
        expected = {
            q: _keys(search(catalog.engine, q))
            for q in ("castel*", "flood*", "flood* -river", "farml* OR coas*")
        }
        assert expected["castel*"] == {("court", 1), ("court", 2)}
        assert expected["farml* OR coas*"] == {("flood", 1), ("storm", 2), ("storm", 3)}
        monkeypatch.setattr(
            search_index, "MAX_EXPANSION", 1
        )  # FTS5's own prefix query: same answers
        assert {q: _keys(search(catalog.engine, q)) for q in expected} == expected
        # Rebuilding lists the words again.
        rebuild(catalog.engine)
        with catalog.engine.connect() as conn:
            assert set(conn.execute(text("SELECT term FROM search_vocab")).scalars()) == vocab
    finally:
        catalog.close()


def test_a_phrase_of_common_words_is_left_out_of_the_ranking_by_its_rarest_word(
    catalog, monkeypatch
):
    _insert(catalog)
    if catalog.dialect != "sqlite":
        return
    with catalog.engine.connect() as conn:
        cur = search_index._cursor(conn)
        groups = parse('"people were killed" mayor').groups
        assert (
            search_index._ranking_groups(cur, parse('"people were killed" mayor'), "any") == groups
        )
        # The phrase's rarest word is in 3 versions (cost 3 × PHRASE_COST = 24), 'mayor' in 2.
        monkeypatch.setattr(search_index, "RANK_MAX_DF", 20)
        assert (
            search_index._ranking_groups(cur, parse('"people were killed" mayor'), "any")
            == groups[1:]
        )
        monkeypatch.setattr(search_index, "RANK_MAX_DF", 1)
        assert search_index._ranking_groups(cur, parse('"people were killed" mayor'), "any") == []
    # The number of indexed versions is kept as they are written.
    with catalog.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT value FROM search_meta WHERE key = 'docs'")).scalar() == "8"
        )
