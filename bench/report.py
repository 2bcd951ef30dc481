"""How the benchmarks write: through logging, never ``print``. ``say`` writes one plain line of
the report on standard output (logger ``bench.report``); ``progress`` writes on standard error
(logger ``bench.progress``), so that a report redirected to a file stays a clean table."""

import logging
import sys
from typing import TextIO


def _logger(name: str, stream: TextIO) -> logging.Logger:
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    logger.disabled = False  # whatever a logging configuration loaded since says
    return logger


def say(*parts: object, sep: str = " ") -> None:
    """One line of the report (an empty line without arguments)."""
    _logger("bench.report", sys.stdout).info(sep.join(str(part) for part in parts))


def progress(*parts: object, sep: str = " ") -> None:
    """One line of progress, on standard error."""
    _logger("bench.progress", sys.stderr).info(sep.join(str(part) for part in parts))
