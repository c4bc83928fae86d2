"""Validate qbXML requests against Intuit's XSDs (qbxml.md §17).

The schemas are Intuit's and never ship with qbsync: they are read from
settings.QBXML_XSD_DIR (../shared/qbxml-xsd in development and CI). When no
directory is configured, validation is skipped and QuickBooks is the judge.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from lxml import etree

from qbwc.qbxml.envelope import build_message


def _schema_version(version: str) -> str:
    # 14.0 and 15.0 only add request types qbsync does not send; 13.0 checks them.
    return "16.0" if version in ("15.0", "16.0") else "13.0"


# libxml2 cannot parse schemas in several threads at once ("Internal error:
# xmlSchemaPValAttrNodeValue"): simulated Web Connectors on threads all loading the
# schema at their first request hit it. One lock: each schema is parsed once.
_SCHEMA_LOCK = threading.Lock()


def load_schema(xsd_dir: str, version: str) -> etree.XMLSchema:
    with _SCHEMA_LOCK:
        return _parse_schema(xsd_dir, version)


@functools.lru_cache(maxsize=8)
def _parse_schema(xsd_dir: str, version: str) -> etree.XMLSchema:
    nnn = _schema_version(version).replace(".", "")
    root = Path(xsd_dir) / f"v{nnn}" / f"qbxmlops{nnn}.xsd"
    if not root.is_file():
        raise FileNotFoundError(f"qbXML schema not found: {root}")
    return etree.XMLSchema(etree.parse(str(root)))


def configured_dir() -> str:
    from django.conf import settings

    return str(getattr(settings, "QBXML_XSD_DIR", "") or "")


def errors_in_message(message: str, version: str, xsd_dir: str | None = None) -> list[str]:
    """Return the schema errors of a whole message (empty when valid or unchecked)."""
    directory = configured_dir() if xsd_dir is None else xsd_dir
    if not directory:
        return []
    schema = load_schema(directory, version)
    doc = etree.fromstring(message.encode("utf-8"))
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def errors_in_request(
    request: etree._Element, version: str, xsd_dir: str | None = None
) -> list[str]:
    """Validate one request alone, so an error names exactly one object."""
    copy = etree.fromstring(etree.tostring(request))
    return errors_in_message(build_message([copy], version), version, xsd_dir)
