"""An archive of real caption files from the corpus for the searchers' tools (related moments, trends, citations,
search as CSV), saved through the real catalog: sessions over several years and months, a draft and a retracted
session that repeat published words (so a leak would show), and a session whose lines start like spreadsheet
formulas."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from catalog import Catalog, SessionMeta, SpeakerCredit, TrackInput
from transcripts import Segment, Transcript, parse_file

# (file, title, date, event, speaker credited)
CORPUS_SESSIONS = (
    ("youtube-auto_fomc-press-conference-2021-11-03.en.vtt", "FOMC Press Conference", "2021-11-03", "Press", "Chair Jerome Powell"),
    ("oakland-city-council-2022-08-09.vtt", "Oakland City Council", "2022-08-09", "Council", None),
    ("seattle-council-briefing-2021-08-02_bom-positioned.vtt", "Seattle Council Briefing", "2021-08-02", "Council", None),
    ("boston-city-council_snippet.vtt", "Boston City Council", "2023-03-15", "Council", None),
    ("edge_srt-no-indexes_bom.srt", "A Talk on Money", "2019-05-20", "Talks", "Dr. Ada Lovelace"),
    ("srt_scipy2020-talk-pyhf_bom.srt", "SciPy 2020: pyhf", "2020-07-08", "Talks", None),
    ("srt_user2021-talk-carpentries_overlapping-cues.srt", "useR! 2021: Carpentries", "2021-07-07", "Talks", None),
    ("zoom_teacher-chemistry-lesson-31m.vtt", "Chemistry Lesson", "2022-08-30", "Lessons", None),
    ("manual_uw-it-accessibility-video_voice-tags.en.vtt", "Accessibility at UW", "2020-02-11", "Talks", None),
)  # fmt: skip
# The same words as "A Talk on Money", as a draft and as a retracted session: the best related moments of that
# talk, and matches of its words in every trend and search, were they ever shown.
DRAFT_FILE = "edge_srt-utf16le-bom.srt"
RETRACTED_FILE = "edge_srt-no-indexes_bom.srt"
FORMULA_LINES = (
    '=HYPERLINK("http://example.org", "spreadsheet") said the clerk',
    "+1 for the spreadsheet motion",
    "-2 spreadsheet votes against",
    "@SUM(spreadsheet) was read aloud",
)


@dataclass(frozen=True)
class ToolsArchive:
    data_dir: Path
    sessions: dict[str, int]  # title -> id
    draft: int
    retracted: int
    formulas: int
    catalog_url: str = ""  # a PostgreSQL catalog's URL; "" for the data folder's SQLite file

    @property
    def catalog_path(self) -> Path | str:
        return self.catalog_url or self.data_dir / "catalog.db"

    def cli_options(self) -> list[str]:
        """The command line's global options naming this archive's data folder and catalog."""
        return ["--data", str(self.data_dir), *(["--catalog", self.catalog_url] if self.catalog_url else [])]


def build_tools_archive(data_dir: Path, corpus: Path, catalog_url: str = "") -> ToolsArchive:
    captions = corpus / "captions"
    missing = [name for name, *_ in CORPUS_SESSIONS if not (captions / name).exists()]
    if missing:
        pytest.skip(f"corpus files missing: {missing}")
    catalog = Catalog.open(catalog_url or data_dir / "catalog.db")
    try:
        ids = {}
        for name, title, date, event, speaker in CORPUS_SESSIONS:
            credits = (SpeakerCredit(speaker),) if speaker else ()
            meta = SessionMeta(title=title, date=date, event=event, speakers=credits)
            ids[title] = catalog.save_session(
                f"corpus:{name}", meta, [TrackInput(parse_file(captions / name))]
            )
        draft = catalog.save_session(
            "corpus:draft-copy",
            SessionMeta(title="Unpublished Money Talk", date="2019-05-21", event="Talks", status="draft"),
            [TrackInput(parse_file(captions / DRAFT_FILE))],
        )
        retracted = catalog.save_session(
            "corpus:retracted-copy",
            SessionMeta(title="Withdrawn Money Talk", date="2021-11-04", event="Talks"),
            [TrackInput(parse_file(captions / RETRACTED_FILE))],
        )
        catalog.set_status(retracted, "retracted")
        lines = tuple(
            Segment(i * 5.0, i * 5.0 + 4.0, text, "Clerk Formula") for i, text in enumerate(FORMULA_LINES)
        )
        formulas = catalog.save_session(
            "test:formulas",
            SessionMeta(title="=Formula Session", date="2024-04-02", event="Council"),
            [TrackInput(Transcript(segments=lines, language="en"))],
        )
    finally:
        catalog.close()
    return ToolsArchive(data_dir, ids, draft, retracted, formulas, catalog_url)
