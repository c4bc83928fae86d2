"""Shared test helpers."""

from __future__ import annotations

import os
import unittest
from pathlib import Path

from django.conf import settings

SHARED_DIR = Path(settings.BASE_DIR).parent / "shared"


def require_xsd_dir() -> str:
    """Return Intuit's XSD folder; skip without it locally, fail in CI (CI=true)."""
    directory = settings.QBXML_XSD_DIR
    if directory and (Path(directory) / "v130" / "qbxmlops130.xsd").is_file():
        return str(directory)
    if os.environ.get("CI") == "true":
        raise AssertionError(
            "Intuit's qbXML XSDs are required in CI: set QBXML_XSD_DIR"
            " or put ../shared beside the repo"
        )
    raise unittest.SkipTest("qbXML XSDs not available (set QBXML_XSD_DIR)")


def shared_file(*parts: str) -> Path:
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{path} is required in CI")
        raise unittest.SkipTest(f"{path} not available")
    return path
