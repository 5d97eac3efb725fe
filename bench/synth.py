"""Synthetic but realistic archive content: English word frequencies, speakers, events, topics, timed segments.

Everything here is plain data and seeded: the same ``seed`` and scale give the same archive, word for word.
Words follow real English frequencies (the ``wordfreq`` package, a dependency of the ``bench`` extra), so a word
like ``the`` fills about half of all segments, as in real speech, and rare words occur a handful of times.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
VOCABULARY_SIZE = 50_000
WORDS_PER_SECOND = (2.2, 3.0)  # speech rate range, per speaker
SEGMENT_WORDS = (6, 40)  # a sentence or a short speaker turn
CUE_WORDS = 9  # a mark every ~9 words, as merged caption cues would give

TOPICS = {
    "housing": "housing homelessness rent affordable shelter eviction zoning tenants landlords units",
    "public safety": "police safety violence officers crime firearms community policing emergency responders",
    "infrastructure": "infrastructure bridges roads transit broadband water pipes funding construction grants",
    "climate": "climate resilience flooding heat emissions energy solar adaptation stormwater wildfire",
    "economy": "economy jobs workforce businesses inflation downtown recovery tourism employers wages",
    "health": "health opioid overdose mental hospitals vaccine pandemic clinics treatment wellness",
    "education": "education schools students teachers literacy childcare universities apprenticeships",
    "equity": "equity justice inclusion opportunity disparities neighborhoods belonging fairness",
}
EVENTS = ("Winter Meeting", "Annual Meeting", "Leadership Meeting", "Mayors Summit", "Webinar Series")
FIRST = (
    "Avery Blake Carmen Dana Elliot Frances Gabriel Harper Imani Jordan Kendall Lena Marcus Nadia Oren Priya "
    "Quinn Rosa Simone Tobias Uma Victor Wren Xavier Yolanda Zane Alma Bruno Cleo Dmitri"
)
LAST = (
    "Abernathy Bellweather Castellano Delacroix Everhart Fairbanks Greenleaf Holloway Ingram Jurado Kowalczyk "
    "Lindqvist Montoya Nakamura Okonkwo Pemberton Quintero Ravensworth Sandoval Thorne Underhill Valdivia "
    "Whitcombe Yarborough Zielinski Ashdown Brightwater Coldstream Dunmore Eastlake"
)
TOWN_HEAD = "Oak Cedar River Maple Stone Harbor Pine Silver Lake Fair Clear Red Elm Bright Mill"
TOWN_TAIL = "ton field ville port haven ford bridge dale wood crest"
ROLES = ("Mayor of {town}", "Mayor of {town}", "Mayor of {town}", "City Manager, {town}", "Director, {town}")


@dataclass(frozen=True)
class SegmentPlan:
    start: float
    end: float
    text: str
    speaker: str
    marks: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class SessionPlan:
    key: str
    title: str
    date: str
    event: str
    description: str
    video_url: str
    speakers: tuple[tuple[str, str], ...]  # (name, role)
    topics: tuple[str, ...]
    segments: tuple[SegmentPlan, ...]

    @property
    def duration(self) -> float:
        return self.segments[-1].end if self.segments else 0.0


class Vocabulary:
    """English words with their real relative frequencies, drawn with ``random.choices``."""

    def __init__(self, size: int = VOCABULARY_SIZE):
        try:
            import wordfreq
        except ImportError as exc:  # the bench extra was not installed
            raise SystemExit("error: the benchmark needs wordfreq: pip install -e '.[bench]'") from exc
        words = [
            w for w in wordfreq.top_n_list("en", size) if WORD.fullmatch(w) and (len(w) > 1 or w in "ai")
        ]
        self.words = words
        self.frequency = {w: wordfreq.word_frequency(w, "en") for w in words}
        self.cum_weights = list(itertools.accumulate(self.frequency[w] for w in words))

    def draw(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum_weights, k=count)

    def by_rank(self, low: int, high: int) -> list[str]:
        """Words ranked ``low``..``high`` (0 = most frequent)."""
        return self.words[low:high]


def people(rng: random.Random, count: int = 400) -> list[tuple[str, str]]:
    """Fictional speakers (name, role) with invented towns."""
    names = [f"{f} {la}" for f in FIRST.split() for la in LAST.split()]
    rng.shuffle(names)
    towns = [h + t for h in TOWN_HEAD.split() for t in TOWN_TAIL.split()]
    return [(name, rng.choice(ROLES).format(town=rng.choice(towns))) for name in names[:count]]


def archive_plan(total_segments: int, seed: int, vocabulary: Vocabulary) -> Iterator[SessionPlan]:
    """Sessions of 1 to 3 hours until exactly ``total_segments`` segments exist (the last one is cut short)."""
    rng = random.Random(seed)
    cast = people(rng)
    made = 0
    for number in itertools.count(1):
        if made >= total_segments:
            return
        plan = session_plan(rng, number, cast, vocabulary, total_segments - made)
        made += len(plan.segments)
        yield plan


def session_plan(
    rng: random.Random, number: int, cast: list[tuple[str, str]], vocabulary: Vocabulary, budget: int
) -> SessionPlan:
    topics = tuple(rng.sample(sorted(TOPICS), k=rng.randint(1, 3)))
    speakers = tuple(rng.sample(cast, k=rng.randint(2, 8)))
    year = rng.randint(2012, 2025)
    date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    event = f"{year} {rng.choice(EVENTS)}"
    target = rng.uniform(3600, 3 * 3600)
    segments = tuple(itertools.islice(speech(rng, speakers, topics, vocabulary, target), budget))
    title = (
        f"{' and '.join(t.title() for t in topics)}: {rng.choice(('Panel', 'Plenary', 'Briefing', 'Forum'))}"
    )
    return SessionPlan(
        key=f"bench:{number}",
        title=title,
        date=date,
        event=event,
        description=sentence(vocabulary.draw(rng, 30)),
        video_url=f"https://www.youtube.com/watch?v={rng.randbytes(8).hex()[:11]}",
        speakers=speakers,
        topics=topics,
        segments=segments,
    )


def speech(
    rng: random.Random,
    speakers: tuple[tuple[str, str], ...],
    topics: tuple[str, ...],
    vocabulary: Vocabulary,
    duration: float,
) -> Iterator[SegmentPlan]:
    """Speaker turns of a few segments each until ``duration`` seconds have been spoken."""
    topic_words = [w for t in topics for w in TOPICS[t].split()]
    rates = {name: rng.uniform(*WORDS_PER_SECOND) for name, _ in speakers}
    clock = rng.uniform(5, 40)
    while clock < duration:
        name = rng.choice(speakers)[0]
        for _ in range(rng.randint(1, 12)):
            count = min(SEGMENT_WORDS[1], max(SEGMENT_WORDS[0], int(rng.gammavariate(3.0, 6.0))))
            words = vocabulary.draw(rng, count)
            for i in range(count):
                if rng.random() < 0.03:
                    words[i] = rng.choice(topic_words)
            segment = timed_segment(words, clock, rates[name], name)
            yield segment
            clock = segment.end + rng.uniform(0.0, 0.6)


def timed_segment(words: list[str], start: float, rate: float, speaker: str) -> SegmentPlan:
    text = sentence(words)
    marks = [(0, round(start, 3))]
    offset = 0
    for i, word in enumerate(text.split(" ")):
        if i and i % CUE_WORDS == 0:
            marks.append((offset, round(start + i / rate, 3)))
        offset += len(word) + 1
    end = round(start + len(words) / rate, 3)
    return SegmentPlan(start=round(start, 3), end=end, text=text, speaker=speaker, marks=tuple(marks))


def sentence(words: list[str]) -> str:
    if not words:
        return ""
    words = list(words)
    words[0] = words[0][:1].upper() + words[0][1:]
    for i in range(4, len(words) - 2, 7):
        words[i] += ","
    return " ".join(words) + "."
