"""The console script's first module: a Ctrl-C from the very start ends the run in one line.

Python turns SIGINT into KeyboardInterrupt, which prints a traceback wherever it lands
outside `cli.main` (while click and the package import, or after the report is
written). This module imports nothing heavy and takes over SIGINT before anything
else is imported; `cli.main` hands it back to Python while it runs, so an interrupt
there unwinds (subprocesses closed, temporary files removed) and is reported the
same way.
"""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import NoReturn

from policycheck.errors import INTERRUPTED


def stop(signum: int, frame: FrameType | None) -> None:
    """Leave at once with the interrupt's exit code and one line, whatever was running."""
    try:
        os.write(2, b"policycheck: interrupted\n")
    finally:
        os._exit(INTERRUPTED)


signal.signal(signal.SIGINT, stop)


def run() -> NoReturn:
    from policycheck.cli import run as run_cli

    run_cli()
