"""Speaker names from what is said: the patterns meetings use, matched to the session's credits; suggestions
only (transcripts/speaker_hints.py)."""

from __future__ import annotations

from transcripts.speaker_hints import Credit, Line, split_turns, suggest_speakers

CREDITS = (Credit("Hillary Schieve", "Mayor of Reno"), Credit("Andrew Ginther", "Mayor of Columbus"))


def lines(*spec: tuple[float, float, str]) -> list[Line]:
    return [Line(*item) for item in spec]


def named(hints) -> list[tuple[float, float, str]]:
    return [(h.start, h.end, h.name) for h in hints]


def test_i_am_names_the_turn_it_is_said_in():
    said = lines(
        (0, 4, "Good afternoon."), (6, 9, "I'm Mayor Garcia of Dallas."), (9.2, 12, "Thank you all.")
    )
    assert named(suggest_speakers(said)) == [(6, 12, "Mayor Garcia")]


def test_thank_you_names_the_turn_before_matched_to_the_credit_by_surname():
    said = lines((0, 5, "Welcome to Reno, everyone."), (5.3, 8, "Thank you, Mayor Schieve, for hosting us."))
    hints = suggest_speakers(said, CREDITS)
    assert named(hints) == [(0, 5, "Hillary Schieve")]
    assert hints[0].reason == "Thank you, Mayor Schieve"


def test_the_chair_recognizes_names_the_next_turn_by_name_or_by_place():
    said = lines(
        (0, 3, "The chair recognizes the mayor of Columbus."),
        (3.2, 8, "Thank you. Our buses run every ten minutes."),
        (10, 13, "The chair now recognizes Councilmember Ann Lee."),
        (13.1, 16, "Good morning."),
    )
    assert named(suggest_speakers(said, CREDITS)) == [
        (3.2, 8, "Andrew Ginther"),
        (13.1, 16, "Councilmember Ann Lee"),
    ]


def test_turns_change_at_pauses_and_a_name_covers_only_its_turn():
    said = lines((0, 3, "I'm Mayor Garcia."), (3.4, 6, "We fixed the pipes."), (8, 11, "Next, the budget."))
    assert [len(turn) for turn in split_turns(said)] == [2, 1]  # a 2 s pause before the last line
    assert named(suggest_speakers(said)) == [(0, 6, "Mayor Garcia")]


def test_lowercase_words_are_not_names_and_nothing_is_guessed():
    said = lines(
        (0, 3, "i'm glad to be here"),
        (3.2, 6, "thank you, mayor, for that."),
        (6.5, 8, "the chair recognizes the clock"),
    )
    assert suggest_speakers(said, CREDITS) == []


def test_one_credited_speaker_and_no_names_heard_suggests_that_speaker_for_the_whole_transcript():
    said = lines((0, 3, "Welcome to the webinar."), (10, 20, "Lead lines come out this year."))
    assert named(suggest_speakers(said, CREDITS[:1])) == [(0, 20, "Hillary Schieve")]
    assert suggest_speakers(said, CREDITS) == []  # two credited: no way to tell which
