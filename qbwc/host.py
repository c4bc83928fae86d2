"""The QuickBooks a session talks to: what its host query answers, and the qbXML version
the session speaks (qbwc-protocol §5). qbwc.loop asks `settle` on every sendRequestXML."""

from __future__ import annotations

import logging

from django.conf import settings

from qbwc.models import Session
from qbwc.qbxml.envelope import MIN_VERSION, version_tuple
from qbwc.qbxml.parse import QbxmlParseError, parse_document, text_of

log = logging.getLogger(__name__)


def settle(
    session: Session,
    hcp_response: str | None,
    company_file: str | None,
    country: str | None,
    major: int | None,
    minor: int | None,
) -> str:
    """Record the host and negotiate the version on the first call; return why qbsync
    cannot serve this QuickBooks ("" if it can)."""
    if hcp_response:
        supported = _store_host(session, hcp_response, company_file, country)
        session.use_version(negotiate(supported, major, minor))
    elif session.round_trips == 0 and not session.client_version:
        session.use_version(negotiate([], major, minor))
    if (country or "US").upper() != "US":
        return f"qbsync supports US editions of QuickBooks only (this one is {country})."
    if version_tuple(session.qbxml_version) < version_tuple(MIN_VERSION):
        return (
            f"QuickBooks too old (qbXML {session.qbxml_version}); qbXML 13.0 or later is required."
        )
    return ""


def _store_host(
    session: Session, hcp: str, company_file: str | None, country: str | None
) -> list[str]:
    """Record what the host query answered on the connection; return the qbXML versions
    the company supports."""
    supported: list[str] = []
    fields: dict[str, str] = {
        "reported_company_file": company_file or "",
        "country": (country or "")[:4],
    }
    try:
        root = parse_document(hcp)
        host = root.find(".//HostRet")
        supported = (
            [v.text or "" for v in host.findall("SupportedQBXMLVersion")]
            if host is not None
            else []
        )
        fields["product_name"] = text_of(host, "ProductName")
        fields["company_name"] = text_of(root.find(".//CompanyRet"), "CompanyName")
        fields["qbxml_versions"] = ",".join(supported)[:200]
    except QbxmlParseError as exc:
        log.warning("unreadable HCP response in session %s: %s", session.pk, exc)
    session.connection.record_host(**fields)
    return supported


def negotiate(supported: list[str], major: int | None, minor: int | None) -> str:
    """version = min(highest the company supports, what QBWC reports, qbsync's maximum)."""
    ceiling = version_tuple(settings.QBXML_MAX_VERSION)
    if major:
        ceiling = min(ceiling, (int(major), int(minor or 0)))
    candidates = []
    for value in supported:
        try:
            candidates.append(version_tuple(value))
        except ValueError:
            continue
    usable = [v for v in candidates if v <= ceiling]
    chosen = max(usable) if usable else (ceiling if not candidates else max(candidates))
    # 14.0/15.0 add no request type qbsync uses; anything between maps to a schema we check.
    return f"{chosen[0]}.{chosen[1]}"
