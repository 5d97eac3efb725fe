"""Issue 11's promise on every real caption file of the corpus: a remembered quote lands on its second.

Every caption file holding speech is stored; quotes are then drawn (seeded) from the **stored segments** read
back from the catalog, half of them straddling a stored segment cut (cuts after a long pause and at the 30 s cap
among them, wherever a file has such cuts), and a one-edit typo is made on a word of 5 letters or more of some.
When each quote's first word is **first shown** is read here from the raw cue file, independently of the
project's reader: the cue where the line first appears, or the word's own inline time in YouTube's rolling
captions. A hit must start at most 20 s before that moment and at most 0.5 s after it.

- a "quoted phrase", straddling a cut or not: the top hit;
- typed without quotes with one word left out, or with two neighbouring words swapped: in the top 3;
- with one typo (unquoted, or a quoted phrase): in the top 3 for at least 90% of them.
"""

from __future__ import annotations

import codecs
import html
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from tests.conftest import BACKENDS, fresh_pg
from transcripts import NotCaptionsError, parse_file

WITHIN_PER_FILE, ACROSS_PER_FILE = 5, 5
LONG_PAUSE = 2.0  # a cut after this much silence is a "pause" cut
NEAR_CAP = 25.0  # a cut ending a segment this long (not at a sentence end) is a "cap" cut
BEFORE, AFTER = 20.0, 0.5  # a hit starts at most this long before / after the first word is first shown
TYPO_SHARE = 0.9
TIMING = re.compile(r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})")
STAMP = re.compile(r"<((?:\d+:)?\d{1,2}:\d{2}\.\d{3})>")
TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>|\{\\[^}]*\}|\{[A-Za-z]:[^}]*\}")  # markup, not "2<3,5>1"
HARD_BREAK = re.compile(r"\\[hNn]")  # ASS hard space and line breaks
LABEL = re.compile(
    r"^\s*(?:>+\s*|-\s*)?(?:[A-Z][\w.'’-]*\s?){1,4}:\s"
)  # "Name: ", ">> NAME: ", "- Dr. Name: "
SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")
TOKEN = re.compile(r"[^\W_]+")


# -- the raw file, read independently ------------------------------------------------------------------------
def seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    return sum(float(p) * 60**i for i, p in enumerate(reversed(parts)))


def decode(data: bytes) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding)
    return data.decode("utf-8", errors="replace")


def clean(text: str) -> str:
    return html.unescape(HARD_BREAK.sub(" ", TAG.sub("", text)))


def tokens(text: str) -> list[str]:
    """Words as the full-text index splits them, lower case."""
    return TOKEN.findall(text.lower())


def first_shown_words(path: Path) -> list[tuple[str, float]]:
    """(token, first shown) in file order; a line already on screen in the previous cue is not shown anew,
    a line's words appear at the cue's start or at their own inline time."""
    lines = decode(path.read_bytes()).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[tuple[str, float]] = []
    cue_lines: list[str] = []
    previous: set[str] = set()
    start = None
    for line in lines + [""]:
        timing = TIMING.match(line)
        if timing:
            start = seconds(timing.group(1)) if seconds(timing.group(2)) > seconds(timing.group(1)) else None
            cue_lines = []
            continue
        if line == "":  # a cue ends at an empty line (YouTube's cues hold lines of one space)
            if cue_lines:
                previous = {" ".join(tokens(clean(c))) for c in cue_lines}
            cue_lines = []
            start = None
            continue
        if start is None or not line.strip():
            continue
        cue_lines.append(line)
        if " ".join(tokens(clean(line))) in previous:
            continue
        out += line_words(line, start)
    return out


def line_words(line: str, start: float) -> list[tuple[str, float]]:
    label = LABEL.match(clean(line))
    skip = len(tokens(label.group(0))) if label else 0
    words, time = [], start
    for piece in re.split(r"(<(?:\d+:)?\d{1,2}:\d{2}\.\d{3}>)", line):
        stamp = STAMP.fullmatch(piece)
        if stamp:
            time = seconds(stamp.group(1))
            continue
        for token in tokens(clean(piece)):
            if skip > 0:
                skip -= 1
                continue
            words.append((token, time))
    return words


# -- quotes from the stored segments ------------------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    text: str  # as stored (punctuation and case kept)
    segment: int  # position of its segment


@dataclass(frozen=True)
class Case:
    file: str
    kind: str  # "within", or the cut it straddles: "sentence", "pause", "cap"
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text.replace('"', "") for w in self.words)


def stored_words(segments) -> list[Word]:
    return [Word(t, s.position) for s in segments for t in s.text.split() if tokens(t)]


def cut_kind(segments, position: int) -> str:
    here, after = segments[position], segments[position + 1]
    if after.start - here.end >= LONG_PAUSE:
        return "pause"
    if here.end - here.start >= NEAR_CAP and not SENTENCE_END.search(here.text):
        return "cap"
    return "sentence"


def draw_cases(name: str, segments, words: list[Word], rng: random.Random) -> list[Case]:
    normal = [tuple(tokens(w.text)) for w in words]
    counts = Counter(tuple(normal[i : i + 5]) for i in range(len(normal) - 4))
    firsts = {}
    for index, word in enumerate(words):
        firsts.setdefault(word.segment, index)
    cases: list[Case] = []
    by_kind: dict[str, list[int]] = {}
    for position in range(len(segments) - 1):
        if position + 1 in firsts and position in firsts:
            by_kind.setdefault(cut_kind(segments, position), []).append(firsts[position + 1])
    across: list[int] = []
    for kind in ("pause", "cap", "sentence"):  # the rarer cuts first, so that each kind a file has is tried
        found = by_kind.get(kind, [])
        rng.shuffle(found)
        across += found
    for cut in across:
        if sum(c.kind != "within" for c in cases) >= ACROSS_PER_FILE:
            break
        size = rng.randint(5, 8)
        start = cut - rng.randint(1, size - 1)
        case = _case(name, words, normal, counts, start, size, segments)
        if case is not None and case.kind != "within":
            cases.append(case)
    starts = list(range(len(words) - 5))
    rng.shuffle(starts)
    for start in starts:
        if sum(c.kind == "within" for c in cases) >= WITHIN_PER_FILE:
            break
        case = _case(name, words, normal, counts, start, rng.randint(5, 8), segments)
        if case is not None and case.kind == "within" and case not in cases:
            cases.append(case)
    return cases


def _case(name, words, normal, counts, start, size, segments) -> Case | None:
    if start < 0 or start + size > len(words) or sum(len(t) for t in normal[start : start + size]) < 5:
        return None
    if counts[tuple(normal[start : start + 5])] != 1:
        return None  # said more than once in the file: another moment could fairly rank first
    quote = tuple(words[start : start + size])
    cuts = [i for i in range(size - 1) if quote[i].segment != quote[i + 1].segment]
    kind = cut_kind(segments, quote[cuts[0]].segment) if cuts else "within"
    return Case(name, kind, quote)


def one_typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("swap", "drop", "double", "replace"))
    if edit == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if edit == "drop":
        return word[:i] + word[i + 1 :]
    if edit == "double":
        return word[:i] + word[i] + word[i:]
    letters = [c for c in "aeioutnrsl" if c != word[i].lower()]
    return word[:i] + rng.choice(letters) + word[i + 1 :]


def typo_query(case: Case, vocabulary: set[str], rng: random.Random) -> tuple[str, str] | None:
    """The case typed with one edit on one of its words of 5+ letters (a word the archive does not hold)."""
    typed = case.text.split(" ")
    long_words = [i for i, w in enumerate(typed) if re.fullmatch(r"[A-Za-z]{5,}", w.strip(".,?!;:\"'"))]
    rng.shuffle(long_words)
    for i in long_words:
        word = typed[i].strip(".,?!;:\"'")
        wrong = one_typo(word, rng)
        if len(wrong) >= 5 and wrong.lower() not in vocabulary and wrong.lower() != word.lower():
            return " ".join(typed[:i] + [typed[i].replace(word, wrong)] + typed[i + 1 :]), word
    return None


# -- the archive ----------------------------------------------------------------------------------------------
@dataclass
class Corpus:
    catalog: Catalog
    sessions: dict[str, int]
    shown: dict[str, list[tuple[str, float]]]
    cases: list[Case]
    skipped: dict[str, str]
    vocabulary: set[str]

    def first_shown(self, case: Case, word: int = 0) -> dict[int, float]:
        """Session → when the case's ``word``-th word is first shown, in every file where the case is said."""
        target = [t for w in case.words for t in tokens(w.text)]
        offset = sum(len(tokens(w.text)) for w in case.words[:word])
        found = {}
        for name, shown in self.shown.items():
            stream = [t for t, _ in shown]
            for i in range(len(stream) - len(target) + 1):
                if stream[i : i + len(target)] == target:
                    found[self.sessions[name]] = shown[i + offset][1]
                    break
        return found


@pytest.fixture(scope="module", params=BACKENDS)
def quotes(request, corpus: Path, tmp_path_factory) -> Corpus:
    """The corpus stored in a catalog on each backend: a SQLite file, and a PostgreSQL database (issue 16: the
    rule holds on both)."""
    if request.param == "postgresql":
        target = fresh_pg(request)
    else:
        target = tmp_path_factory.mktemp("quotes") / "catalog.db"
    catalog = Catalog.open(target)
    sessions, shown, cases, skipped, vocabulary = {}, {}, [], {}, set()
    for path in sorted((corpus / "captions").iterdir()):
        try:
            transcript = parse_file(path)
        except NotCaptionsError as exc:
            skipped[path.name] = f"no speech: {exc}"
            continue
        if transcript.kind != "captions":
            skipped[path.name] = f"no speech: a {transcript.kind} track"
            continue
        meta = SessionMeta(title=path.stem, date="2024-01-01")
        sessions[path.name] = catalog.save_session(f"file:{path.name}", meta, [TrackInput(transcript)])
        shown[path.name] = first_shown_words(path)
    for name, session_id in sessions.items():
        segments = catalog.segments(session_id)
        words = stored_words(segments)
        vocabulary.update(t for w in words for t in tokens(w.text))
        drawn = draw_cases(name, segments, words, random.Random(name))
        if not drawn:
            skipped[name] = (
                f"speech ({len(words)} words), but no 5 words in a row said only once: nothing to quote"
            )
        cases += drawn
    yield Corpus(catalog, sessions, shown, cases, skipped, vocabulary)
    catalog.close()


def on_time(hits, said: dict[int, float]) -> bool:
    return any(
        h.session_id in said and said[h.session_id] - BEFORE <= h.start <= said[h.session_id] + AFTER
        for h in hits
    )


def report(failures: list, checked: int, what: str) -> str:
    return f"{len(failures)} of {checked} {what} missed:\n" + "\n".join(map(str, failures))


def describe(hits) -> list:
    return [(h.session_id, round(h.start, 2), h.text[:70]) for h in hits]


# -- the tests ------------------------------------------------------------------------------------------------
def test_every_file_with_speech_gives_quotes_and_a_third_straddle_cuts(quotes):
    assert set(quotes.skipped) == {
        "edge_thumbnail-sprite-track_no-hours.vtt",
        "chapters_elephants-dream_note-header.vtt",
        "edge_style-blocks.vtt",  # "Hello world."
        "edge_vttjs-multilingual-cue-id.vtt",  # one line said over and over
    }, quotes.skipped
    assert len(quotes.sessions) >= 20
    files = Counter(c.file for c in quotes.cases)
    assert set(files) == set(quotes.sessions) - set(quotes.skipped), set(quotes.sessions) - set(files)
    kinds = Counter(c.kind for c in quotes.cases)
    assert sum(n for k, n in kinds.items() if k != "within") >= len(quotes.cases) / 3, kinds
    assert kinds["pause"] >= 5 and kinds["cap"] >= 3, kinds


def test_each_quote_is_found_in_the_raw_file(quotes):
    """The raw reader above places every quote drawn from the stored segments (else the timing checks
    below would check nothing)."""
    missing = [(c.file, c.text) for c in quotes.cases if quotes.sessions[c.file] not in quotes.first_shown(c)]
    assert not missing, report(missing, len(quotes.cases), "quotes")


@pytest.mark.parametrize("straddling", [False, True], ids=["within a segment", "across a cut"])
def test_a_quoted_phrase_is_the_top_hit_at_its_moment(quotes, straddling):
    failures, checked = [], 0
    for case in quotes.cases:
        if (case.kind != "within") != straddling:
            continue
        checked += 1
        hits = quotes.catalog.search(SearchRequest(f'"{case.text}"', limit=3)).hits
        said = quotes.first_shown(case)
        if not on_time(hits[:1], said):
            failures.append((case.file, case.kind, case.text, said, describe(hits[:1])))
    assert checked and not failures, report(failures, checked, "phrases")


@pytest.mark.parametrize("change", ["one word left out", "two neighbours swapped"])
def test_the_quote_typed_loosely_is_in_the_top_3_at_its_moment(quotes, change):
    failures, checked = [], 0
    for case in quotes.cases:
        rng = random.Random(change + case.text)
        words = list(case.words)
        if change == "one word left out":
            left_out = rng.randrange(len(words))
            first = 1 if left_out == 0 else 0
            del words[left_out]
        else:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
            first = 0
        typed = " ".join(w.text.replace('"', "") for w in words)
        checked += 1
        hits = quotes.catalog.search(SearchRequest(typed, limit=3)).hits
        said = quotes.first_shown(case, first)
        if not on_time(hits, said):
            failures.append((case.file, case.kind, typed, said, describe(hits)))
    assert not failures, report(failures, checked, "loose quotes")


def test_a_quote_with_one_typo_is_in_the_top_3_nine_times_in_ten(quotes):
    failures, checked, corrected = [], 0, 0
    for number, case in enumerate(quotes.cases):
        rng = random.Random("typo " + case.text)
        made = typo_query(case, quotes.vocabulary, rng)
        if made is None:
            continue
        typed, word = made
        query = f'"{typed}"' if number % 2 else typed
        checked += 1
        results = quotes.catalog.search(SearchRequest(query, limit=3))
        corrected += bool(results.corrected_query)
        if not on_time(results.hits, quotes.first_shown(case)):
            failures.append((case.file, query, word, results.corrected_query, describe(results.hits)))
    assert checked >= 60, checked
    assert len(failures) <= checked * (1 - TYPO_SHARE), report(failures, checked, "typo quotes")
