"""Every language searchable: a session with English and Spanish caption tracks (a yt-dlp ``.info.json`` with
its ``.en.vtt`` and ``.es.vtt`` beside it), ingested and searched through the real CLI, the real API and the
pages on a real local server; each track indexed with a tokenizer fit for its language."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog import Catalog
from tests.conftest import BACKENDS, fresh_pg
from tests.support.liveserver import running
from uscm_archive.cli import cli
from uscm_archive.settings import Settings
from web.app import create_app

ENGLISH = """WEBVTT

00:00:01.000 --> 00:00:04.000
Welcome to the webinar on immigrant support.

00:00:05.000 --> 00:00:09.000
Our city shelters families who arrive with nothing.

00:00:42.000 --> 00:00:46.000
Legal clinics are open every Tuesday at the library.
"""
SPANISH = """WEBVTT

00:00:01.000 --> 00:00:04.000
Bienvenidos al seminario sobre apoyo a inmigrantes.

00:00:05.000 --> 00:00:09.000
Nuestra ciudad ofrece viviendas a las familias que llegan sin nada.

00:00:42.000 --> 00:00:46.000
Las clínicas legales abren todos los martes en la biblioteca.
"""
MEDIA_HOST = "https://media.example.org"
DRAFT_SPANISH = """WEBVTT

00:00:10.000 --> 00:00:14.000
El refugio secreto abre mañana.
"""


def _info(folder: Path, base: str, video_id: str, title: str, tracks: dict[str, str]) -> Path:
    info = {
        "id": video_id,
        "title": title,
        "upload_date": "20240305",
        "webpage_url": f"{MEDIA_HOST}/{video_id}.mp4",  # a direct recording: the page's own <video> player
        "extractor_key": "Generic",
        "subtitles": {language: [] for language in tracks},
    }
    path = folder / f"{base}.info.json"
    path.write_text(json.dumps(info), encoding="utf-8")
    for language, text in tracks.items():
        (folder / f"{base}.{language}.vtt").write_text(text, encoding="utf-8")
    return path


# data folders whose catalog is a PostgreSQL database (the archive fixture's PostgreSQL run): its URL
_CATALOGS: dict[Path, str] = {}


def _cli(data_dir: Path, *args: str):
    where = ["--catalog", _CATALOGS[data_dir]] if data_dir in _CATALOGS else []
    result = CliRunner().invoke(
        cli, [*where, *args[:1], "--data", str(data_dir), *args[1:]], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _search(data_dir: Path, query: str, *options: str) -> list[dict]:
    return json.loads(_cli(data_dir, "search", "--json", *options, query))["results"]


@pytest.fixture(scope="module", params=BACKENDS)
def archive(request, tmp_path_factory) -> tuple[Path, int]:
    """The webinar archive, its catalog on each backend (issue 16: every language searchable on PostgreSQL too)."""
    root = tmp_path_factory.mktemp("languages")
    data_dir, sources = root / "data", root / "sources"
    data_dir.mkdir()
    sources.mkdir()
    if request.param == "postgresql":
        _CATALOGS[data_dir] = fresh_pg(request)
    webinar = _info(
        sources, "webinar", "abc123xyz00", "Immigrant support webinar", {"en": ENGLISH, "es": SPANISH}
    )
    draft = _info(sources, "draft", "def456uvw11", "Closed session", {"en": ENGLISH, "es": DRAFT_SPANISH})
    session_id = int(_cli(data_dir, "ingest", str(webinar)).split()[0])
    _cli(data_dir, "ingest", "--draft", str(draft))
    _cli(data_dir, "ingest", str(webinar))  # a re-ingest replaces the tracks, it does not add to them
    return data_dir, session_id


def test_the_cli_finds_each_language_at_its_second_with_and_without_the_filter(archive):
    data_dir, session_id = archive
    for options in (("--lang", "es"), ()):
        [hit] = _search(data_dir, '"clínicas legales"', *options)
        assert (hit["session_id"], hit["start"], hit["language"]) == (session_id, 42.0, "es")
        assert hit["url"] == f"/sessions/{session_id}?t=42&lang=es"
        [hit] = _search(data_dir, "viviendas familias", *options)
        assert (hit["start"], hit["language"]) == (5.0, "es")
    for options in (("--lang", "en"), ()):
        [hit] = _search(data_dir, '"legal clinics"', *options)
        assert (hit["start"], hit["language"], hit["url"]) == (42.0, "en", f"/sessions/{session_id}?t=42")
    assert _search(data_dir, '"legal clinics"', "--lang", "es") == []
    assert _search(data_dir, '"clínicas legales"', "--lang", "en") == []
    assert "[0:00:42] (es) Las clínicas legales" in _cli(data_dir, "search", "--lang", "es", "clínicas")


def test_english_is_stemmed_and_spanish_is_not_but_its_accents_fold(archive):
    data_dir, _ = archive
    [hit] = _search(data_dir, "shelter", "--no-correct")  # porter: "shelter" finds "shelters"
    assert hit["language"] == "en"
    # Stemmed like English, "vivienda" would find "viviendas"; the Spanish track is not stemmed.
    assert _search(data_dir, "vivienda", "--no-correct", "--lang", "es") == []
    assert _search(data_dir, "vivienda", "--no-correct") == []
    [hit] = _search(data_dir, "clinicas", "--lang", "es")  # remove_diacritics: "clinicas" finds "clínicas"
    assert "clínicas" in hit["text"]
    # A Spanish word the archive holds is not "corrected" into an English one.
    assert json.loads(_cli(data_dir, "search", "--json", "biblioteca"))["corrected_query"] is None


def test_api_pages_and_a_drafts_spanish_track(archive):
    data_dir, session_id = archive
    with running(
        create_app(
            Settings(data_dir=data_dir, catalog_url=_CATALOGS.get(data_dir, ""), media_hosts=(MEDIA_HOST,))
        )
    ) as base:

        def get(path: str, **params) -> tuple[int, str]:
            url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
            try:
                with urllib.request.urlopen(url, timeout=10) as reply:
                    return reply.status, reply.read().decode("utf-8")
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read().decode("utf-8")

        def api_hits(**params) -> list[dict]:
            status, body = get("/api/search", **params)
            assert status == 200, body
            return json.loads(body)["results"]

        for params in ({"lang": "es"}, {}):
            [hit] = api_hits(q='"clínicas legales"', **params)
            assert (hit["start"], hit["language"]) == (42.0, "es")
        for params in ({"lang": "en"}, {}):
            [hit] = api_hits(q='"legal clinics"', **params)
            assert (hit["start"], hit["language"]) == (42.0, "en")
        assert api_hits(q='"legal clinics"', lang="es") == []
        # The draft's Spanish words are never found publicly, in any language.
        for params in ({"lang": "es"}, {}):
            assert api_hits(q="refugio secreto", **params) == []
            status, page = get("/search", q="refugio secreto", **params)
            assert status == 200 and "Nothing was found for “refugio secreto”" in page

        status, page = get("/search", q="clínicas legales", lang="es")
        assert status == 200
        assert '<option value="es" selected>es</option>' in page and '<option value="en">en</option>' in page
        assert f"/sessions/{session_id}?t=42" in page and "lang=es" in page and "Las <mark>clínicas" in page
        assert "hit-related" not in page  # "Said elsewhere" follows primary-track segment ids only
        status, page = get("/search", q="legal clinics")
        assert 'class="hit-related"' in page

        status, page = get(f"/sessions/{session_id}")  # the primary transcript stays the default
        assert status == 200 and 'id="transcript" lang="en"' in page and "Legal clinics" in page
        assert "Las clínicas" not in page
        assert 'srclang="en" label="English captions" default>' in page
        assert (
            f'src="/sessions/{session_id}/transcript.vtt?lang=es" srclang="es" label="es captions">' in page
        )
        status, page = get(f"/sessions/{session_id}", lang="es", t="42")
        assert status == 200 and 'id="transcript" lang="es"' in page and "Las clínicas legales" in page
        assert "Legal clinics" not in page.split('id="transcript"', 1)[1].split("</ol>", 1)[0]
        assert 'aria-current="time"' in page  # ?t=42 marks the Spanish line said then
        assert 'srclang="es" label="es captions" default>' in page  # the player's captions follow the panel
        status, vtt = get(f"/sessions/{session_id}/transcript.vtt", lang="es")
        assert status == 200 and "Las clínicas legales" in vtt and "Legal clinics" not in vtt
        status, txt = get(f"/sessions/{session_id}/transcript.txt")  # exports keep the primary track
        assert "Legal clinics" in txt and "clínicas" not in txt
        status, page = get(f"/sessions/{session_id}", lang="fr")
        assert status == 404 and "Traceback" not in page


def test_a_staff_correction_of_the_spanish_track_is_searchable_and_survives_a_re_ingest(archive, tmp_path):
    data_dir, session_id = archive
    catalog = Catalog.open(_CATALOGS.get(data_dir) or data_dir / "catalog.db")
    try:
        [line] = [s for s in catalog.segments(session_id, "es") if "clínicas" in s.text]
        fixed = line.text.replace("martes", "miércoles")
        assert catalog.staff.segments.correct_in_track(line.id, fixed, "editor", expected_text=line.text)
        assert [v.text for v in catalog.staff.segments.track_versions(line.id)] == [line.text]
        english = catalog.segments(session_id)  # the primary transcript is untouched
        assert all("miércoles" not in s.text for s in english) and any("Tuesday" in s.text for s in english)
    finally:
        catalog.close()
    [hit] = _search(data_dir, "miercoles", "--lang", "es")
    assert (hit["start"], hit["language"]) == (42.0, "es")
    assert _search(data_dir, "martes", "--lang", "es", "--no-correct") == []
    webinar = next(data_dir.parent.glob("sources/webinar.info.json"))
    _cli(data_dir, "ingest", str(webinar))  # a re-fetch keeps what staff corrected
    assert len(_search(data_dir, "miercoles", "--lang", "es")) == 1


def test_the_corpus_english_and_arabic_pair_each_found_at_its_second(corpus, tmp_path):
    """The corpus's Elephants Dream captions in English and Arabic (right to left) as one session's two tracks."""
    captions = corpus / "captions"
    english, arabic = (captions / f"manual_elephants-dream-film.{tag}.vtt" for tag in ("en", "ar-rtl"))
    if not (english.exists() and arabic.exists()):
        pytest.skip("the corpus has no Elephants Dream en/ar pair")
    sources, data_dir = tmp_path / "sources", tmp_path / "data"
    sources.mkdir()
    data_dir.mkdir()
    info = _info(sources, "film", "elephants01", "Elephants Dream", {})
    (sources / "film.en.vtt").write_bytes(english.read_bytes())
    (sources / "film.ar.vtt").write_bytes(arabic.read_bytes())
    _cli(data_dir, "ingest", str(info))
    for options in (("--lang", "ar"), ()):
        [hit] = _search(data_dir, '"طاحنات الرؤوس"', *options)
        assert (hit["start"], hit["language"]) == (21.0, "ar")
    for options in (("--lang", "en"), ()):
        [hit] = _search(data_dir, '"at the right we can see"', *options)
        assert (hit["start"], hit["language"]) == (18.166, "en")


def test_dump_and_load_keep_the_spanish_track(archive, tmp_path):
    data_dir, session_id = archive
    dump, copy = tmp_path / "dump", tmp_path / "copy"
    copy.mkdir()
    _cli(data_dir, "dump", str(dump))
    _cli(copy, "load", str(dump))
    for options in (("--lang", "es"), ()):
        [hit] = _search(copy, '"clínicas legales"', *options)
        assert (hit["start"], hit["language"]) == (42.0, "es")
