from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from callnlp.offsets import OffsetMap


@st.composite
def edited(draw):
    text = draw(st.text(alphabet="abc領域", max_size=40))
    edits, pos = [], 0
    while pos < len(text) and draw(st.booleans()):
        start = draw(st.integers(pos, len(text)))
        end = draw(st.integers(start, min(len(text), start + 5)))
        if start == end and start == len(text):
            break
        edits.append((start, end, draw(st.text(alphabet="xyz", max_size=4))))
        pos = end + 1 if start == end else end
    return text, edits


@given(edited())
def test_offsets_bulk_mapping_equals_one_by_one(case) -> None:
    text, edits = case
    new, omap = OffsetMap.edit(text, edits)
    positions = list(range(len(new) + 1))
    assert omap.starts(positions) == [omap.start(p) for p in positions]
    assert omap.ends(positions) == [omap.end(p) for p in positions]


@given(edited())
def test_offsets_map_kept_characters_to_themselves(case) -> None:
    text, edits = case
    new, omap = OffsetMap.edit(text, edits)
    changed = set()
    out = 0
    pos = 0
    for start, end, repl in edits:
        out += start - pos
        changed.update(range(out, out + len(repl)))
        out += len(repl)
        pos = end
    for i, ch in enumerate(new):
        if i not in changed:
            assert text[omap.start(i)] == ch
            assert omap.end(i + 1) == omap.start(i) + 1


def test_offsets_deleted_annotation_is_inside_the_span_of_its_word() -> None:
    text = "AI領(lǐng)域的媒體"
    new, omap = OffsetMap.edit(text, [(3, 9, "")])
    assert new == "AI領域的媒體"
    start, end = omap.span(2, 4)
    assert text[start:end] == "領(lǐng)域"
    assert text[slice(*omap.span(4, 5))] == "的"


def test_offsets_expansion_maps_inner_offsets_to_the_edges() -> None:
    text = "增长…好"
    new, omap = OffsetMap.edit(text, [(2, 3, "...")])
    assert new == "增长...好"
    assert omap.span(2, 5) == (2, 3)
    assert omap.span(3, 4) == (2, 3)
    assert omap.span(5, 6) == (3, 4)


def test_offsets_identity() -> None:
    omap = OffsetMap.identity(10)
    assert omap.span(3, 7) == (3, 7)
    assert omap.starts([0, 5, 10]) == [0, 5, 10]
