from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest
from conftest import subcommands

import callnlp

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(callnlp.__path__, "callnlp.") if m.name != "callnlp.__main__"
)


@pytest.mark.parametrize("name", ["callnlp", *MODULES])
def test_docs_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_docs_every_public_name_has_a_docstring() -> None:
    for name in callnlp.__all__:
        if not name.startswith("__"):
            assert getattr(callnlp, name).__doc__, name


@pytest.mark.parametrize("name", ["evaluate", "ingest", "normalize", "search"])
def test_docs_functions_named_like_their_modules_stay_functions(name: str) -> None:
    importlib.import_module(f"callnlp.{name}")  # importing a module binds it on the package
    assert callable(getattr(callnlp, name))
    assert getattr(callnlp, name).__module__.startswith(f"callnlp.{name}")


def test_docs_readme_examples_run() -> None:
    from pathlib import Path

    readme = Path(__file__).resolve().parent.parent / "README.md"
    failures, tried = doctest.testfile(str(readme), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried
    assert failures == 0


def test_docs_readme_names_every_option_of_every_command() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [
        f"{name} {option}"
        for name, parser in subcommands().items()
        for action in parser._actions
        for option in action.option_strings[-1:]  # the long form
        if option != "--help" and f"{option}" not in readme
    ]
    assert "--version" in readme
    assert not missing


def test_docs_files_in_help_examples_exist() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    named = {
        (name, path)
        for name, parser in subcommands().items()
        for path in re.findall(r"\b((?:corpora|models|examples|bench)/[^\s'\"]+)", parser.epilog or "")
        if not any(c in path for c in "*?")
    }
    assert named  # the examples do name the project's own files
    assert [(name, path) for name, path in sorted(named) if not (root / path).exists()] == []
