"""Where a configured model is loaded from: a local directory, or the Hugging Face cache.

A model setting (`--sentiment-model`, `--embed-model`) names either a directory or a model
of the Hugging Face hub. callnlp never downloads at run time: a hub model must already be
in the cache (`huggingface-cli download NAME` puts it there). Looking in the cache first
means a missing model fails at once with the fix, instead of after the hub client's
network retries (49 s on a machine without internet), and a missing directory is named as
one instead of being read as a malformed hub id.
"""

from __future__ import annotations

import os
from pathlib import Path

from callnlp.errors import ModelError

_PATH_PREFIXES = (".", "/", "~", "\\")


def locate(name: str, setting: str, *, prefixes: tuple[str, ...] = ()) -> str:
    """The directory or cached hub name to load model `name` from.

    Args:
        name: the setting's value: a directory, or a hub name such as `ProsusAI/finbert`.
        setting: the option that set it, named in the error (`--sentiment-model`).
        prefixes: organisations a bare hub name may belong to (sentence-transformers reads
            `all-MiniLM-L6-v2` as `sentence-transformers/all-MiniLM-L6-v2`).

    Raises:
        ModelError: `name` is neither a directory nor a model in the Hugging Face cache.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> locate(folder, "--embed-model") == folder
        True
    """
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path)
    if name.startswith(_PATH_PREFIXES) or name.count("/") > 1 or os.sep in name.replace("/", ""):
        raise ModelError(f"{setting} {name}: no such directory; give the folder that holds the model")
    for candidate in (name, *(f"{org}/{name}" for org in prefixes if "/" not in name)):
        if _cached(candidate):
            return candidate
    raise ModelError(
        f"{setting} {name}: no such directory, and no model of that name in the Hugging Face cache; "
        f"download it once with `huggingface-cli download {name}`, or give a local folder"
    )


def _cached(repo: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # the model libraries bring it; without them the caller says what to install
        return False
    try:
        found = try_to_load_from_cache(repo, "config.json")
    except ValueError:  # not a valid hub id
        return False
    return isinstance(found, str)
