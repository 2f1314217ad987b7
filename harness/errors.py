"""The one user-facing error type.

    HarnessError            bad input or environment the user can fix
    └── RunInterrupted      a run stopped early; its partial result was saved

Raise ``HarnessError`` anywhere with one line that names the invalid value
and the fix. The command line catches it once, prints that line and exits
with status 1. Any other exception is a bug and keeps its traceback.
"""


class HarnessError(Exception):
    """Bad input or environment, described in one line with its fix."""


class RunInterrupted(HarnessError):
    """A run stopped before every configuration finished."""
