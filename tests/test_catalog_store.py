"""The catalog stores sessions as a staffer would expect: idempotent, atomic, drafts hidden, index in sync."""

from __future__ import annotations

import sqlite3

import pytest

from catalog import (
    Catalog,
    CatalogError,
    MediaInput,
    NotFound,
    SearchRequest,
    SessionMeta,
    SpeakerCredit,
    TrackInput,
)
from tests.pg_server import run_sql
from transcripts import Chapter, Mark, Segment, Transcript

pytestmark = pytest.mark.backends


def transcript(*texts: str, speaker: str | None = None, step: float = 10.0) -> Transcript:
    segments = tuple(
        Segment(i * step, (i + 1) * step, text, speaker, (Mark(0, i * step),)) for i, text in enumerate(texts)
    )
    return Transcript(segments=segments)


def meta(title: str = "Opening Plenary", **changes) -> SessionMeta:
    values = dict(
        title=title,
        date="2024-01-18",
        event="92nd Winter Meeting",
        description="Mayors open the winter meeting.",
        speakers=(SpeakerCredit("Karen Bass", "Mayor of Los Angeles"), SpeakerCredit("Andy Ginther", None)),
        topics=("Housing", "Public Safety"),
    )
    values.update(changes)
    return SessionMeta(**values)


def dump(target) -> list[str]:
    """Every row of every table, as SQL text: two equal dumps mean nothing changed."""
    if isinstance(target, str):
        from tests.pg_server import table_rows

        return table_rows(target)
    conn = sqlite3.connect(target)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def hits(catalog: Catalog, query: str, **options) -> list[str]:
    return [hit.text for hit in catalog.search(SearchRequest(query, **options)).hits]


def test_saved_session_reads_back_whole(catalog, data_dir):
    track = TrackInput(
        transcript("We must build more housing.", "Thank you, Mayor Bass.", speaker=None),
        language="en",
        source="manual",
        raw_path="captions/1/en.manual.vtt",
        reviewed=True,
    )
    french = TrackInput(Transcript(), language="fr", source="auto", raw_path="captions/1/fr.auto.vtt")
    media = MediaInput(path="media/1/plenary.mp4", size=1234, sha256="ab" * 32, mime="video/mp4")
    chapters = (Chapter(0.0, "Welcome", 10.0), Chapter(10.0, "Housing"))
    sid = catalog.save_session("https://example.org/v/1", meta(), [french, track], chapters, media)

    session = catalog.get_session(sid)
    assert session.title == "Opening Plenary" and session.date == "2024-01-18"
    assert session.event == "92nd Winter Meeting" and session.status == "published"
    assert session.has_transcript and session.segment_count == 2
    assert session.created_at and session.updated_at and session.published_at
    assert [(s.name, s.slug, s.role) for s in session.speakers] == [
        ("Karen Bass", "karen-bass", "Mayor of Los Angeles"),
        ("Andy Ginther", "andy-ginther", None),
    ]
    assert sorted(t.slug for t in session.topics) == ["housing", "public-safety"]
    primary = [t for t in session.tracks if t.is_primary]
    assert [(t.language, t.raw_path, t.reviewed) for t in primary] == [
        ("en", "captions/1/en.manual.vtt", True)
    ]
    assert {t.language for t in session.tracks} == {"en", "fr"}
    assert (session.media_path, session.media_size, session.media_type) == (
        "media/1/plenary.mp4",
        1234,
        "video/mp4",
    )
    assert [s.text for s in catalog.segments(sid)] == [
        "We must build more housing.",
        "Thank you, Mayor Bass.",
    ]
    assert catalog.segments(sid)[1].marks == ((0, 10.0),)
    assert [(c.start, c.end, c.title) for c in catalog.chapters(sid)] == [
        (0.0, 10.0, "Welcome"),
        (10.0, None, "Housing"),
    ]
    assert catalog.find_session_id("https://example.org/v/1") == sid


def test_segment_speakers_become_speakers_of_the_session(catalog):
    segments = (
        Segment(0, 5, "Good morning.", "Jane Castor"),
        Segment(5, 9, "Thank you, mayor.", "JANE CASTOR"),
        Segment(9, 12, "Next question.", "Moderator"),
    )
    sid = catalog.save_session("zoom-1", meta(speakers=()), [TrackInput(Transcript(segments=segments))])
    stored = catalog.segments(sid)
    assert [s.speaker for s in stored] == ["Jane Castor", "Jane Castor", "Moderator"]
    assert [s.name for s in catalog.get_session(sid).speakers] == ["Jane Castor", "Moderator"]
    assert catalog.speaker("jane-castor").name == "Jane Castor"
    assert catalog.speaker("jane castor").slug == "jane-castor"


@pytest.mark.search
def test_same_source_twice_is_one_session_updated_in_place(catalog):
    first = catalog.save_session("file:abc", meta(), [TrackInput(transcript("Old words about parking."))])
    created = catalog.get_session(first).created_at
    second = catalog.save_session(
        "file:abc",
        meta("Opening Plenary (corrected)", speakers=(SpeakerCredit("Eric Adams"),), topics=("Transit",)),
        [TrackInput(transcript("New words about bridges.", "And tunnels."))],
    )
    assert second == first
    total, sessions = catalog.list_sessions()
    assert total == 1
    session = sessions[0]
    assert session.title == "Opening Plenary (corrected)" and session.created_at == created
    assert [s.name for s in session.speakers] == ["Eric Adams"]
    assert [t.name for t in session.topics] == ["Transit"]
    assert session.segment_count == 2
    assert hits(catalog, "parking") == []
    assert hits(catalog, "bridges") == ["New words about bridges."]
    assert catalog.search_sessions("corrected")[0].id == first


@pytest.mark.search
@pytest.mark.parametrize(
    "bad_segment",
    [
        Segment(float("nan"), 3.0, "broken time"),
        Segment(5.0, 1.0, "ends before it starts"),
        Segment(1.0, 2.0, None),  # type: ignore[arg-type]
        Segment(1.0, 2.0, "short", None, (Mark(99, 1.0),)),
    ],
    ids=["nan-start", "end-before-start", "no-text", "mark-outside-text"],
)
def test_failure_midway_leaves_the_catalog_unchanged(catalog, catalog_target, bad_segment):
    sid = catalog.save_session("file:abc", meta(), [TrackInput(transcript("The budget passed."))])
    before = dump(catalog_target)
    segments = (Segment(0, 1, "Fine words", "New Speaker"), bad_segment, Segment(3, 4, "More fine words"))
    with pytest.raises(CatalogError, match="segment 2"):
        catalog.save_session(
            "file:abc",
            meta("Changed title", speakers=(SpeakerCredit("Someone New"),), topics=("New Topic",)),
            [TrackInput(Transcript(segments=segments))],
        )
    with pytest.raises(CatalogError):
        catalog.save_session("file:other", meta("Other"), [TrackInput(Transcript(segments=segments))])
    assert dump(catalog_target) == before
    assert catalog.get_session(sid).title == "Opening Plenary"
    assert hits(catalog, "budget") == ["The budget passed."]
    assert hits(catalog, "fine") == []
    assert catalog.speaker("someone-new", include_drafts=True) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date": "2024-02-30"}, "not a real date"),
        ({"date": "18/01/2024"}, "YYYY-MM-DD"),
        ({"status": "secret"}, "status"),
        ({"title": "   "}, "title"),
    ],
)
def test_bad_metadata_is_refused_with_a_clear_message(catalog, data_dir, changes, message):
    with pytest.raises(CatalogError, match=message):
        catalog.save_session("k", meta(**changes), [TrackInput(transcript("words"))])
    assert catalog.list_sessions(include_drafts=True)[0] == 0


def test_two_tracks_in_one_language_are_refused(catalog):
    tracks = [TrackInput(transcript("a")), TrackInput(transcript("b"))]
    with pytest.raises(CatalogError, match="same language"):
        catalog.save_session("k", meta(), tracks)
    assert catalog.find_session_id("k") is None


@pytest.mark.search
@pytest.mark.parametrize("status", ["draft", "retracted"])
def test_unpublished_sessions_are_invisible_to_the_public(catalog, status):
    public = catalog.save_session(
        "pub", meta("Public session"), [TrackInput(transcript("Housing is a right."))]
    )
    hidden = catalog.save_session(
        "hid",
        meta(
            "Secret session",
            status=status,
            event="Closed Retreat",
            speakers=(SpeakerCredit("Unannounced Guest"),),
            topics=("Embargoed",),
            date="2019-05-05",
        ),
        [TrackInput(transcript("Housing embargo details.", speaker="Unannounced Guest"))],
    )
    assert catalog.get_session(hidden) is None
    assert catalog.get_session(hidden, include_drafts=True).status == status
    assert [s.id for s in catalog.list_sessions()[1]] == [public]
    assert catalog.list_sessions(event="Closed Retreat") == (0, [])
    assert hits(catalog, "housing") == ["Housing is a right."]
    assert hits(catalog, "embargo") == []
    assert catalog.search(SearchRequest("embargo")).total == 0
    assert hits(catalog, "embargo", include_drafts=True) == ["Housing embargo details."]
    assert catalog.search_sessions("secret") == []
    assert catalog.speaker("unannounced-guest") is None
    assert catalog.speaker("unannounced-guest", include_drafts=True) is not None
    facets = catalog.facets()
    assert "Closed Retreat" not in [f.value for f in facets["events"]]
    assert "Embargoed" not in [f.value for f in facets["topics"]]
    assert "2019" not in [f.value for f in facets["years"]]
    assert "Unannounced Guest" not in [f.value for f in facets["speakers"]]
    assert "Unannounced Guest" in [f.value for f in catalog.facets(include_drafts=True)["speakers"]]
    with pytest.raises(NotFound):
        catalog.search(SearchRequest("housing", session_id=hidden))

    catalog.set_status(hidden, "published")
    assert hits(catalog, "embargo") == ["Housing embargo details."]
    assert catalog.get_session(hidden).published_at


@pytest.mark.search
def test_full_text_index_follows_updates_and_deletes(catalog, catalog_target, backend):
    sid = catalog.save_session("k", meta(), [TrackInput(transcript("Zoning reform now."))])
    catalog.save_session("k", meta(), [TrackInput(transcript("Transit funding now."))])
    assert hits(catalog, "zoning") == [] and hits(catalog, "transit") == ["Transit funding now."]
    catalog.delete_session(sid)
    assert hits(catalog, "transit") == [] and catalog.search_sessions("plenary") == []
    with pytest.raises(NotFound):
        catalog.delete_session(sid)
    if backend == "postgresql":  # the windows, word counts and statistics went with the session
        from tests.pg_server import table_rows

        kept = [
            r for r in table_rows(catalog_target) if r.split()[0].startswith(("segment_windows", "search_"))
        ]
        assert [r for r in kept if not r.endswith(", 0)")] == []
        return
    conn = sqlite3.connect(catalog_target)
    try:
        for table in ("segments_fts", "sessions_fts"):
            conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
        assert conn.execute("SELECT count(*) FROM segments").fetchone()[0] == 0
    finally:
        conn.close()


def test_speakers_are_unique_whatever_the_case_and_merges_are_followed(catalog, catalog_target):
    a = catalog.save_session("a", meta(speakers=(SpeakerCredit("Mayor Bass"),)), [])
    catalog.save_session("b", meta(speakers=(SpeakerCredit("MAYOR  BASS"), SpeakerCredit("Mayor-Bass"))), [])
    slugs = sorted(f.slug for f in catalog.facets()["speakers"])
    assert slugs == ["mayor-bass", "mayor-bass-2"]
    run_sql(  # a staffer merged "Mayor-Bass" into "Mayor Bass"
        catalog_target,
        "UPDATE speakers SET merged_into = (SELECT id FROM speakers WHERE slug = 'mayor-bass') "
        "WHERE slug = 'mayor-bass-2'",
    )
    assert catalog.speaker("mayor-bass-2").slug == "mayor-bass"
    assert [(f.slug, f.count) for f in catalog.facets()["speakers"]] == [("mayor-bass", 2)]
    c = catalog.save_session("c", meta(speakers=(SpeakerCredit("mayor-bass"),)), [])
    assert [s.slug for s in catalog.get_session(c).speakers] == ["mayor-bass"]
    assert catalog.list_sessions(speaker="mayor-bass")[0] == 3
    assert a in [s.id for s in catalog.list_sessions(speaker="Mayor-Bass")[1]]


def test_list_sessions_filters_and_pages_newest_first(catalog):
    for n, (date, event, topic) in enumerate(
        [
            ("2023-06-02", "91st Annual Meeting", "Housing"),
            ("2024-01-18", "92nd Winter Meeting", "Housing"),
            ("2024-06-21", "92nd Annual Meeting", "Transit"),
            (None, None, "Transit"),
        ]
    ):
        catalog.save_session(f"s{n}", meta(f"Session {n}", date=date, event=event, topics=(topic,)), [])
    total, page = catalog.list_sessions(limit=2)
    assert total == 4 and [s.title for s in page] == ["Session 2", "Session 1"]
    assert [s.title for s in catalog.list_sessions(limit=2, offset=2)[1]] == ["Session 0", "Session 3"]
    assert [s.title for s in catalog.list_sessions(year=2024)[1]] == ["Session 2", "Session 1"]
    assert [s.title for s in catalog.list_sessions(topic="transit")[1]] == ["Session 2", "Session 3"]
    assert [s.title for s in catalog.list_sessions(event="92nd-winter-meeting")[1]] == ["Session 1"]
    assert catalog.list_sessions(topic="no-such-topic") == (0, [])
    years = {f.value: f.count for f in catalog.facets()["years"]}
    assert years == {"2024": 2, "2023": 1}
    with pytest.raises(CatalogError):
        catalog.list_sessions(offset=-1)


def test_status_changes_need_a_real_session_and_status(catalog):
    sid = catalog.save_session("k", meta(status="draft"), [])
    assert catalog.get_session(sid, include_drafts=True).published_at is None
    with pytest.raises(NotFound):
        catalog.set_status(999, "published")
    with pytest.raises(CatalogError, match="status"):
        catalog.set_status(sid, "public")
    catalog.set_status(sid, "published")
    first = catalog.get_session(sid).published_at
    catalog.set_status(sid, "retracted")
    assert catalog.get_session(sid) is None
    assert catalog.get_session(sid, include_drafts=True).published_at == first


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "../outside.vtt", "captions/../../x.vtt", "C:/captions/x.vtt"]
)
def test_file_paths_must_stay_inside_the_data_folder(catalog, path):
    with pytest.raises(CatalogError, match="inside the data folder"):
        catalog.save_session("k", meta(), [TrackInput(transcript("words"), raw_path=path)])
    with pytest.raises(CatalogError, match="inside the data folder"):
        catalog.save_session("k", meta(), [], media=MediaInput(path=path, size=1, sha256="00"))
    assert catalog.find_session_id("k") is None
