"""Transcript readers: every format, merging, context, listener detection and unusable files."""

import json
import time
from pathlib import Path

import pytest

from simulator.transcripts import (
    Line,
    ListenerUnknown,
    Transcript,
    TranscriptError,
    Unusable,
    choose_listener,
    load_transcript,
    merge_lines,
    read_file,
)

DATA = Path(__file__).parent / "data" / "transcripts"


def read_all(path: Path) -> list:
    return list(read_file(path, path.name))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def turns_of(transcript: Transcript) -> list[tuple[str, str]]:
    return [(turn.speaker, turn.text) for turn in transcript.turns]


# ----- formats


def test_zoom_vtt_takes_names_from_prefixes_and_merges_consecutive_cues():
    transcript = load_transcript(DATA / "zoom_maria_tom.vtt")
    assert transcript.turns[1].speaker == "Tom Becker"
    assert transcript.turns[1].text == (
        "Honestly? Not great. The release slipped again and I'm the one who has to tell the client. "
        "I've been working until eleven every night this week."
    )
    assert transcript.turns[1].timestamp == "00:00:06.300"
    assert [t.speaker for t in transcript.turns] == ["Maria Lopez", "Tom Becker"] * 4 + ["Maria Lopez"]


def test_teams_vtt_takes_names_from_voice_tags():
    transcript = load_transcript(DATA / "teams_maria_priya.vtt")
    assert transcript.speaker_counts() == {"Maria Lopez": 5, "Priya Shah": 4}
    assert transcript.turns[0].text == "Good morning Priya, how did the first month go?"


def test_a_cue_with_two_voices_becomes_two_turns(tmp_path):
    path = write(
        tmp_path,
        "two.vtt",
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ann>Hi.</v>\n<v.loud Ben>Hello <b>there</b>.</v>\n",
    )
    assert turns_of(load_transcript(path)) == [("Ann", "Hi."), ("Ben", "Hello there.")]


def test_srt_joins_caption_lines():
    transcript = load_transcript(DATA / "roleplay_week2.srt")
    assert turns_of(transcript)[0] == (
        "Client",
        "My manager keeps moving my deadlines and never tells me why.",
    )
    assert transcript.speaker_counts() == {"Client": 4, "Coach": 4}


def test_csv_with_timestamps_merges_one_speakers_rows():
    transcript = load_transcript(DATA / "coaching_call.csv")
    assert transcript.turns[1].text == (
        "My team lead criticised my report in front of everyone. "
        "I was so embarrassed I couldn't say anything."
    )
    assert transcript.turns[1].timestamp == "00:00:08"
    assert len(transcript.turns) == 9


def test_csv_with_a_transcript_id_column_holds_many_conversations(tmp_path):
    path = write(
        tmp_path,
        "many.csv",
        "conversation_id,interlocutor,utterance_text\n"
        "a,therapist,Hello\na,client,Hi\nb,therapist,Welcome\nb,client,Thanks\n",
    )
    transcripts = read_all(path)
    assert [t.id for t in transcripts] == ["many.csv#a", "many.csv#b"]
    assert turns_of(transcripts[1]) == [("therapist", "Welcome"), ("client", "Thanks")]


def test_a_csv_row_without_a_speaker_continues_the_previous_speaker(tmp_path):
    path = write(tmp_path, "c.csv", "speaker,text\nclient,I feel stuck.\n,Really stuck.\ncoach,Stuck how?\n")
    assert turns_of(load_transcript(path)) == [
        ("client", "I feel stuck. Really stuck."),
        ("coach", "Stuck how?"),
    ]


def test_csv_rows_short_or_long_read_missing_fields_as_empty_and_ignore_extra_ones(tmp_path):
    path = write(
        tmp_path,
        "ragged.csv",
        "speaker,text,timestamp\nclient,one,00:01\ncoach,two\n\nclient\ncoach,three,00:04,extra,more\n",
    )
    transcript = load_transcript(path)
    assert [(t.speaker, t.text, t.timestamp) for t in transcript.turns] == [
        ("client", "one", "00:01"),
        ("coach", "two three", None),
    ]


def test_a_csv_row_too_short_for_the_transcript_id_joins_the_conversation_named_none(tmp_path):
    path = write(tmp_path, "ids.csv", "speaker,text,call_id\nclient,one,a\ncoach,two\nclient,three,\n")
    assert [t.id for t in read_all(path)] == ["ids.csv#a", "ids.csv#None", "ids.csv"]


def test_a_csv_header_name_given_twice_reads_its_last_column(tmp_path):
    path = write(tmp_path, "twice.csv", "speaker,text,speaker\nAnn,hi,coach\nBen,ok,client\n")
    assert turns_of(load_transcript(path)) == [("coach", "hi"), ("client", "ok")]


def test_an_unreadable_csv_row_is_placed_after_the_lines_of_quoted_fields_before_it(tmp_path):
    path = write(tmp_path, "wrapped.csv", 'speaker,text\nAnn,"one\ntwo"\nBen,"' + "x" * 200_000 + '"\n')
    [result] = read_all(path)
    assert result.reason.startswith("line 4: cannot read the CSV row (field larger than field limit")


def test_tsv_is_read_with_tabs(tmp_path):
    path = write(tmp_path, "call.tsv", "speaker\ttext\ncoach\tHow are you?\nclient\tTired.\n")
    assert turns_of(load_transcript(path)) == [("coach", "How are you?"), ("client", "Tired.")]


def test_text_lines_with_timestamps_and_wrapped_lines():
    transcript = load_transcript(DATA / "intake_notes.txt")
    assert (
        transcript.turns[2].text
        == "The house is quiet. Too quiet. I pour a glass and then it's suddenly midnight."
    )
    assert transcript.turns[0].timestamp == "00:00:05"
    assert transcript.speaker_counts() == {"Client": 4, "Therapist": 4}


def test_text_line_with_a_url_is_not_a_speaker(tmp_path):
    path = write(tmp_path, "t.txt", "Ann: see this\nhttps://example.org/page\nBen: thanks\n")
    assert turns_of(load_transcript(path)) == [
        ("Ann", "see this https://example.org/page"),
        ("Ben", "thanks"),
    ]


def test_jsonl_of_openai_conversations_uses_names_drops_system_and_reads_content_parts():
    first, second = read_all(DATA / "chat_export.jsonl")
    assert first.id == "chat_export.jsonl#chat-17"
    assert [t.speaker for t in first.turns] == ["client", "coach", "client", "coach"]
    assert second.turns[0].text == "I can't sleep before big meetings."


def test_jsonl_of_role_content_messages_is_one_conversation(tmp_path):
    rows = [{"role": "user", "content": "I feel stuck."}, {"role": "assistant", "content": "Stuck how?"}]
    path = write(tmp_path, "m.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    assert turns_of(load_transcript(path)) == [("user", "I feel stuck."), ("assistant", "Stuck how?")]


def test_jsonl_speaker_lines_grouped_by_transcript_id():
    transcripts = read_all(DATA / "cohort_roleplays.jsonl")
    assert [t.id for t in transcripts] == ["cohort_roleplays.jsonl#rp-001", "cohort_roleplays.jsonl#rp-002"]
    assert transcripts[1].speaker_counts() == {"persona": 3, "learner": 3}


def test_a_bad_line_in_a_conversation_file_costs_only_that_conversation(tmp_path):
    good = json.dumps(
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    )
    path = write(tmp_path, "c.jsonl", f"{good}\n{{broken\n{good}\n")
    results = read_all(path)
    assert [type(r) for r in results] == [Transcript, Unusable, Transcript]
    assert "line 2: not valid JSON" in results[1].reason


def test_a_bad_line_in_a_message_file_stops_the_file_with_the_line_number(tmp_path):
    path = write(tmp_path, "m.jsonl", '{"speaker": "a", "text": "x"}\nnot json\n')
    [result] = read_all(path)
    assert isinstance(result, Unusable) and "line 2: not valid JSON" in result.reason


# ----- merging and context


def test_merge_lines_joins_runs_of_one_speaker_and_numbers_turns():
    lines = [
        Line(speaker="a", text="one"),
        Line(speaker="a", text=" two "),
        Line(speaker="b", text="three"),
        Line(speaker="b", text=""),
        Line(speaker="a", text="four"),
    ]
    turns = list(merge_lines(lines))
    assert [(t.index, t.speaker, t.text) for t in turns] == [
        (0, "a", "one two"),
        (1, "b", "three"),
        (2, "a", "four"),
    ]


def test_listener_turns_carry_the_turn_before_as_context():
    transcript = load_transcript(DATA / "roleplay_week2.srt")
    first, second = transcript.listener_turns("Coach")[:2]
    assert first.context == "My manager keeps moving my deadlines and never tells me why."
    assert second.context == "It is. I can't plan anything with my family."
    assert first.request().text == "That sounds unsettling, not knowing what's coming."


def test_a_listener_who_speaks_first_has_no_context():
    transcript = load_transcript(DATA / "coaching_call.csv")
    assert transcript.listener_turns("coach")[0].context == ""


# ----- listener


def test_named_listener_matches_case_and_spacing_insensitively():
    assert choose_listener({"Maria  Lopez": 3, "Tom": 2}, ["maria lopez"]) == "Maria  Lopez"


def test_listener_role_names_are_detected():
    assert choose_listener({"Client": 4, "Therapist": 4}) == "Therapist"
    assert choose_listener({"persona": 3, "learner": 3}) == "learner"


def test_the_other_of_two_speakers_when_one_is_a_speaker_role():
    assert choose_listener({"client": 2, "Dana": 2}) == "Dana"


def test_ambiguous_speakers_stop_with_the_speakers_listed():
    with pytest.raises(ListenerUnknown) as raised:
        choose_listener({"Maria Lopez": 5, "Tom Becker": 4})
    assert "Maria Lopez (5 turns), Tom Becker (4 turns)" in str(raised.value) and "--listener" in str(
        raised.value
    )
    assert raised.value.speakers == {"Maria Lopez": 5, "Tom Becker": 4}


def test_a_named_listener_who_is_absent_means_no_listener_turns():
    with pytest.raises(ListenerUnknown, match="no listener turns: 'coach' is not among the speakers client"):
        choose_listener({"client": 3}, ["coach"])


# ----- unusable files


UNUSABLE = [
    ("empty.csv", "", "empty file"),
    ("notes.docx", "Ann: hi", "unknown extension '.docx'"),
    ("blank.txt", "\n\n  \n", "no 'Name: text' lines found"),
    (
        "cols.csv",
        "who,said\nAnn,hi\n",
        "the CSV header has no 'speaker' or 'text' column (found: 'who', 'said')",
    ),
    (
        "nonames.vtt",
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello there\n",
        "captions carry no speaker names",
    ),
    ("broken.vtt", "this is not a caption file\n", "not a valid VTT file"),
    ("header.csv", "speaker,text\n", "no turns with text"),
    ("deep.jsonl", "[" * 100_000 + "\n", "line 1: not valid JSON (nested too deep)"),
    (
        "digits.jsonl",
        '{"speaker": "Ann", "text": "hi"}\n{"speaker": "Ben", "text": ' + "9" * 5000 + "}\n",
        "line 2: not valid JSON (a number with too many digits)",
    ),
    (
        "wide.csv",
        'speaker,text\nAnn,hi\nBen,"' + "x" * 200_000 + '"\n',
        "line 3: cannot read the CSV row (field larger than field limit",
    ),
    ("wide-header.tsv", "speaker\t" + "x" * 200_000 + "\n", "line 1: cannot read the CSV row"),
]


@pytest.mark.parametrize(("name", "content", "reason"), UNUSABLE, ids=[case[0] for case in UNUSABLE])
def test_unusable_files_say_why(tmp_path, name, content, reason):
    [result] = read_all(write(tmp_path, name, content))
    assert isinstance(result, Unusable) and reason in result.reason


def test_non_utf8_bytes_are_refused(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Ann: caf\u00e9\nBen: ok\n".encode("latin-1"))
    [result] = read_all(path)
    assert isinstance(result, Unusable) and "not UTF-8" in result.reason


def test_load_transcript_raises_for_an_unusable_file(tmp_path):
    with pytest.raises(TranscriptError, match="empty file"):
        load_transcript(write(tmp_path, "e.txt", ""))


def test_a_50_mb_transcript_is_refused_fast_while_streaming(tmp_path):
    path = tmp_path / "huge.txt"
    block = "".join(
        f"Client: line {i} of a very long session that never seems to end at all\n"
        f"Coach: mm-hm, go on, I am listening to every word of it\n"
        for i in range(5000)
    )
    with path.open("w", encoding="utf-8") as stream:
        while stream.tell() < 50_000_000:
            stream.write(block)
    started = time.perf_counter()
    [result] = read_all(path)
    assert isinstance(result, Unusable) and "over the limit of 5,000,000 characters" in result.reason
    assert time.perf_counter() - started < 5


def test_a_huge_caption_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.vtt"
    with path.open("w") as stream:
        stream.write("WEBVTT\n\n")
        stream.truncate(21_000_000)
    started = time.perf_counter()
    [result] = read_all(path)
    assert "caption file is 21.0 MB, over the limit of 20 MB" in result.reason
    assert time.perf_counter() - started < 1
