"""Every exception callnlp raises.

Each message says what went wrong and how to fix it, so the CLI can print it as one line.
"""

from __future__ import annotations


class CallnlpError(Exception):
    """Base class of every error callnlp raises on purpose."""


class InputError(CallnlpError):
    """An input file or byte string cannot be analyzed."""


class InputNotFoundError(InputError):
    """The input path does not exist or is not a file."""


class EmptyInputError(InputError):
    """The input holds no text at all."""


class BinaryInputError(InputError):
    """The input is a binary file (an image, archive, PDF, executable...), not text."""


class DecodeError(InputError):
    """The input's bytes are not text in any encoding callnlp knows."""


class InputTooLargeError(InputError):
    """The input is larger than the configured size limit."""


class ResourceError(CallnlpError):
    """A data file callnlp loads from models/ is missing or malformed."""


class OptionError(CallnlpError):
    """An option was given a value that is not one of the valid ones."""


class MissingDependencyError(CallnlpError):
    """An optional package needed for the requested feature is not installed."""


class LabeledDataError(InputError):
    """A labeled evaluation file is malformed."""


class ModelError(CallnlpError):
    """A configured model cannot be loaded or run."""


class StoreError(CallnlpError):
    """The event store cannot be opened, or holds no such call."""


class OutputError(CallnlpError):
    """A result cannot be written where it was asked to go."""


class ClusterError(CallnlpError):
    """The Dask cluster an ingest runs on cannot be reached, or was lost."""


class WorkerError(CallnlpError):
    """A local worker process died (killed, out of memory) before it finished its work."""
