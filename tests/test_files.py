from __future__ import annotations

from pathlib import Path

from callnlp.files import Failure, expand


def test_files_expand_folders_globs_and_name_what_names_nothing(tmp_path: Path) -> None:
    batch = tmp_path / "b"
    (batch / "deeper").mkdir(parents=True)
    for name in ("b/call_1.txt", "b/deeper/通话_2.txt", "b/.hidden.txt", "b/call_1.json", "b/x.md"):
        (tmp_path / name).write_text("营收增长。Revenue grew.", encoding="utf-8")
    files, failed = expand([batch, batch / "*.txt", tmp_path / "nope.txt", str(tmp_path / "*.md")])
    # the folder recursively, without hidden files and sidecars; the glob adds no repeat
    assert [f.relative_to(batch).as_posix() for f in files] == ["call_1.txt", "deeper/通话_2.txt", "x.md"]
    assert failed == [
        Failure(str(tmp_path / "nope.txt"), "no such file or directory"),
        Failure(str(tmp_path / "*.md"), "the pattern matches no file"),
    ]


def test_files_expand_skips_a_stores_search_index(tmp_path: Path) -> None:
    from callnlp.search.index import INDEX_STAMP

    (tmp_path / "call.txt").write_text("Revenue grew.", encoding="utf-8")
    index = tmp_path / "calls.db.search"
    index.mkdir()
    (index / INDEX_STAMP).write_text("1", encoding="utf-8")
    (index / "segment.txt").write_text("not a call", encoding="utf-8")
    assert expand([tmp_path]) == ([tmp_path / "call.txt"], [])
