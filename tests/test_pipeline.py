from __future__ import annotations

import json

import pytest
from conftest import CORPORA
from hypothesis import given, settings
from hypothesis import strategies as st

from callnlp import Analyzer, analyze, load, normalize
from callnlp.errors import InputError, InputTooLargeError, OptionError
from callnlp.files import Failure
from callnlp.record import Language


@pytest.mark.parametrize(
    ("text", "language", "sentences"),
    [
        ("营收同比增长420%。净亏损扩大至3.146亿美元。", Language.ZH, 2),
        ("Revenue grew 420% year over year. Net loss widened.", Language.EN, 2),
        ("营收同比增长420%。Revenue grew 420% year over year.", Language.MIXED, 2),
        ("CoreWeave在GB200上的部署领先。", Language.ZH, 1),
        ("We deployed GB200 for 英伟达.", Language.EN, 1),
    ],
)
def test_pipeline_detects_language_and_counts(text: str, language: Language, sentences: int) -> None:
    result = analyze(text.encode())
    assert result.call.language is language
    assert len(result.sentences) == sentences
    assert result.call.tokens > 0


def test_pipeline_record_has_the_documented_shape() -> None:
    record = json.loads(analyze("营收为9.816亿美元。Revenue grew.".encode(), name="x.txt").to_json())
    assert list(record) == ["call", "sentences", "turns", "qa_pairs", "figures", "signals", "aggregates"]
    assert {"id", "source", "language", "company", "date", "period"} <= set(record["call"])
    sentence = record["sentences"][0]
    assert list(sentence)[:7] == ["index", "turn", "line", "start", "end", "text", "lang"]
    assert {"sentiment", "tone", "hedging", "hedged", "forward_looking", "cues"} <= set(sentence)
    assert record["call"]["source"] == "x.txt"


def test_pipeline_sentence_offsets_and_lines_point_into_the_original(seed) -> None:
    result = analyze(seed("003"))
    original = seed("003").read_text(encoding="utf-8")
    lines = original.split("\n")
    for s in result.sentences:
        piece = original[s.start : s.end]
        assert piece
        assert lines[s.line - 1].find(piece.split("\n")[0][:10]) >= 0
    first = next(s for s in result.sentences if "领域" in s.text)
    assert "領(lǐng)域" in original[first.start : first.end]


def test_pipeline_analyzes_every_seed(seeds) -> None:
    for path in seeds:
        result = analyze(path)
        assert result.call.language is Language.ZH, path.name  # English names and sources only
        assert len(result.sentences) > 30
        assert result.call.tokens > 800
        assert result.call.id == __import__("hashlib").sha256(path.read_bytes()).hexdigest()


def test_pipeline_refuses_a_50mb_single_line_quickly(tmp_path) -> None:
    path = tmp_path / "one_line.txt"
    size = 50 * 1024 * 1024
    unit = "收入增长了。Revenue grew 5%. ".encode()
    path.write_bytes((unit * (size // len(unit) + 1))[:size])
    with pytest.raises(InputTooLargeError, match=r"one_line\.txt: 50\.0 MB is over the 16\.0 MB limit"):
        analyze(path)


@pytest.mark.slow
def test_pipeline_completes_a_large_single_line_when_allowed(tmp_path) -> None:
    unit = "收入增长了,毛利率提升150个基点,Revenue grew 5% and margins expanded "
    path = tmp_path / "one_line.txt"
    text = unit * (8 * 1024 * 1024 // len(unit.encode()))
    path.write_bytes(text.encode())
    result = Analyzer(max_bytes=64 * 1024 * 1024)(path)
    # cut at commas or spaces into pieces of at most 1000 characters (of the normalized text,
    # which drops the space between Chinese and Latin: 收入 Revenue), none lost
    normalized = normalize(load(text.encode(), max_bytes=64 * 1024 * 1024)).text.strip()
    assert max(len(s.text) for s in result.sentences) <= 1000
    assert len(result.sentences) >= len(normalized) // 1000
    assert sum(len(s.text) for s in result.sentences) >= len(normalized) - len(result.sentences)
    assert result.sentences[-1].line == 1


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("interpreted_tianlan_2025q3.txt", Language.MIXED),
        ("zh_qa_style_jinghong_2025q2.txt", Language.ZH),
    ],
)
def test_pipeline_call_language_of_corpus_transcripts(name: str, language: Language) -> None:
    from conftest import CORPORA

    assert analyze(CORPORA / "calls" / name).call.language is language


_ALPHABET = st.sampled_from(
    [*"营收增长亿美元領域的。,;!?…“”() \n\r\t.$%-0123456789abcQGBxǐā<>/&#;\u3000\ufeff\ue7c1"]
)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=300))
def test_pipeline_never_crashes_on_random_text(text: str) -> None:
    if not text.strip().strip("\ufeff"):
        with pytest.raises(InputError, match=r"^random\.txt: the file (is empty|holds only white space)"):
            analyze(text.encode(), name="random.txt")
        return
    result = analyze(text.encode(), name="random.txt")
    previous_end = 0
    for s in result.sentences:
        assert previous_end <= s.start <= s.end <= len(text)
        assert 1 <= s.line <= text.count("\n") + text.count("\r") + 1
        previous_end = s.end


@pytest.mark.parametrize("name", ["en_fool_helios_q2_2025.txt", "interpreted_tianlan_2025q3.txt"])
def test_pipeline_json_bytes_are_the_standard_librarys(name: str) -> None:
    # the contract's bytes: orjson writes exactly what json.dumps(indent=2) of the dict wrote
    import json

    from conftest import CORPORA

    record = analyze(CORPORA / "calls" / name)
    assert record.to_json() == json.dumps(record.to_dict(), ensure_ascii=False, indent=2)
    assert record.to_json(indent=None) == json.dumps(
        record.to_dict(), ensure_ascii=False, separators=(",", ":")
    )
    assert record.to_json(indent=4) == json.dumps(record.to_dict(), ensure_ascii=False, indent=4)


def _check_outcome(data: bytes, name: str) -> None:
    """The only outcomes allowed: our input error naming the file, or a record whose
    offsets lie inside the original text, in order, and which renders as JSON."""
    try:
        result = analyze(data, name=name)
    except InputError as exc:
        error = str(exc)
    else:
        error = None
        _check_record(result, len(load(data, name=name).text))
    assert error is None or error.startswith(f"{name}: ")


def _check_record(result, text_length: int) -> None:
    previous_end = 0
    for s in result.sentences:
        assert previous_end <= s.start <= s.end <= text_length
        previous_end = s.end
        assert all(0 <= c.start <= c.end <= text_length for c in s.cues)
    assert all(0 <= f.start <= f.end <= text_length for f in result.figures)
    assert all(0 <= t.start <= t.end <= text_length for t in result.turns)
    assert json.loads(result.to_json(indent=None))["call"]["id"] == result.call.id


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_pipeline_random_bytes_give_a_record_or_a_clear_error(data: bytes) -> None:
    _check_outcome(data, "random.bin")


_TRANSCRIPTS = {
    # encodings the loader reads, Chinese and English side by side
    "zh_qa_style_jinghong_2025q2.txt": ("utf-8", "gb18030", "utf-16"),
    "interpreted_tianlan_2025q3.txt": ("utf-8", "gb18030"),
    "en_fool_helios_q2_2025.txt": ("utf-8", "utf-16"),
}


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A corpus transcript in one of its encodings, cut short and with bytes flipped,
    dropped or inserted at random places: what a damaged download or a bad copy gives."""
    from conftest import CORPORA

    name = draw(st.sampled_from(sorted(_TRANSCRIPTS)))
    text = (CORPORA / "calls" / name).read_text(encoding="utf-8")
    data = bytearray(text[: draw(st.integers(0, 3000))].encode(draw(st.sampled_from(_TRANSCRIPTS[name]))))
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "drop", "insert"]))
        if action == "insert" or not data:
            data[at:at] = draw(st.binary(min_size=1, max_size=6))
        elif action == "drop":
            del data[at : at + draw(st.integers(1, 6))]
        else:
            data[min(at, len(data) - 1)] ^= draw(st.integers(1, 255))
    return name, bytes(data)


@settings(max_examples=150, deadline=None)
@given(_mutated())
def test_pipeline_damaged_transcripts_give_a_record_or_a_clear_error(case: tuple[str, bytes]) -> None:
    name, data = case
    _check_outcome(data, name)


def test_pipeline_each_in_workers_gives_what_one_process_gives(tmp_path) -> None:
    # the bundled calls (Chinese, English, interpreted) with files that fail between them
    for path in sorted((CORPORA / "calls").glob("*.txt")):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "en_empty.txt").write_bytes(b"")
    (tmp_path / "zh_binary.txt").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4)
    paths = [tmp_path, tmp_path / "nope.txt"]

    def records(workers: int) -> list[bytes | Failure]:
        return [r if isinstance(r, Failure) else r.to_json_bytes() for r in Analyzer().each(paths, workers)]

    alone = records(1)
    assert records(2) == alone
    # a size limit below the warm-up's few bytes fails the files, not the batch
    tiny = list(Analyzer(max_bytes=10).each(paths, workers=2))
    assert all(isinstance(r, Failure) for r in tiny)
    assert "bytes is over the 10 bytes limit" in tiny[-1].reason  # no "0.0 MB over 0.0 MB"
    assert [r.path for r in alone if isinstance(r, Failure)] == [
        str(tmp_path / "nope.txt"), str(tmp_path / "en_empty.txt"), str(tmp_path / "zh_binary.txt")
    ]  # fmt: skip
    assert sum(not isinstance(r, Failure) for r in alone) == len(list((CORPORA / "calls").glob("*.txt")))


@pytest.mark.parametrize("workers", [0, -1])
def test_pipeline_each_refuses_no_workers(workers) -> None:
    with pytest.raises(OptionError, match=f"at least 1, not {workers}"):
        next(Analyzer().each(["corpora/calls"], workers))


@pytest.mark.parametrize(
    "name",
    [
        "zh_qa_style_jinghong_2025q2.txt",
        "interpreted_tianlan_2025q3.txt",
        "en_sa_quantaridge_q3_2025.txt",
    ],
)
def test_pipeline_scoring_a_part_at_a_time_gives_the_record_of_one_pass(monkeypatch, name: str) -> None:
    import callnlp.pipeline

    path = CORPORA / "calls" / name
    whole = analyze(path).to_json_bytes()
    for sentences in (1, 5):
        monkeypatch.setattr(callnlp.pipeline, "_PART", sentences)
        assert analyze(path).to_json_bytes() == whole, sentences


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=300))
def test_pipeline_random_text_scored_a_sentence_a_part_as_in_one_pass(text: str) -> None:
    import callnlp.pipeline

    if not text.strip().strip("\ufeff"):
        return
    whole = analyze(text.encode(), name="random.txt").to_json_bytes()
    default, callnlp.pipeline._PART = callnlp.pipeline._PART, 1
    try:
        assert analyze(text.encode(), name="random.txt").to_json_bytes() == whole
    finally:
        callnlp.pipeline._PART = default
