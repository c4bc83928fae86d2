"""HTTP entry point of the Web Connector SOAP service."""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from lxml import etree
from spyne.server.django import DjangoApplication

from objects.qbxml.parse import safe_parser
from qbwc.service import application

_spyne = DjangoApplication(application)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_BODY_BYTES = 50 * 1024 * 1024


def soap_fault(text: str, status: int = 400) -> HttpResponse:
    """A SOAP 1.1 Client fault with a precise reason, built with lxml (text escaped)."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = "soap:Client"
    etree.SubElement(fault, "faultstring").text = text
    return HttpResponse(
        etree.tostring(envelope, xml_declaration=True, encoding="utf-8"),
        status=status,
        content_type="text/xml; charset=utf-8",
    )


@csrf_exempt
def endpoint(request: HttpRequest, connection_id: str | None = None, **_: Any) -> HttpResponse:
    """Serve the SOAP service. The connection comes from credentials and tickets only;
    a connection id in the URL (upstream AppURLs) is accepted but never trusted."""
    if request.method == "GET" and "wsdl" not in {k.lower() for k in request.GET}:
        return HttpResponse(
            "qbsync Web Connector endpoint: POST SOAP 1.1 here; the WSDL is at ?wsdl\n",
            content_type="text/plain; charset=utf-8",
        )
    if request.method == "POST":
        body = request.body
        if len(body) > MAX_BODY_BYTES:
            return soap_fault("Request too large", status=413)
        upper = body[:4096].upper()
        if b"<!DOCTYPE" in upper or b"<!ENTITY" in body.upper():
            # No DTDs: entity expansion ("billion laughs") and external entities are refused
            # before any parser sees the document.
            return soap_fault("DOCTYPE and entity declarations are not allowed in SOAP requests")
        try:
            root = etree.fromstring(body, safe_parser())
        except etree.XMLSyntaxError as exc:
            return soap_fault(f"Malformed XML in the SOAP request: {exc}")
        calls = len(root.findall(f"{{{SOAP_ENV}}}Body/*"))
        if calls > 1:
            # spyne would run the first and silently drop the rest (WS-I BP R9981: at most
            # one child of soap:Body).
            return soap_fault(f"The SOAP Body holds {calls} operations; send one per request")
        # request.body consumed the stream; spyne reads the WSGI input itself.
        request.META["wsgi.input"] = io.BytesIO(body)
        request.META["CONTENT_LENGTH"] = str(len(body))
    response: HttpResponse = _spyne(request)
    if response.status_code == 500 and b"Client" in response.content[:2000]:
        # spyne reports envelopes that fail its schema as Client faults with HTTP 500;
        # they are the caller's error, not a server failure.
        response.status_code = 400
    return response
