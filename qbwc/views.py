"""HTTP entry point of the Web Connector SOAP service."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from lxml import etree
from spyne.server.django import DjangoApplication

from qbwc import loop, wire
from qbwc.service import APP_CONNECTION_KEY, NAMESPACE, application

# The body limit is settings.QBWC_MAX_BODY_BYTES, enforced by wire.read before spyne reads
# anything; spyne's own limit (2 MB by default) would refuse large answers with a fault.
_spyne = DjangoApplication(application, max_content_length=2**62)

SOAP_ENV = wire.SOAP_ENV


def _envelope(body: etree._Element) -> etree._Element:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    envelope.append(body)
    return envelope


def _soap(envelope: etree._Element, status: int = 200) -> HttpResponse:
    return HttpResponse(
        etree.tostring(envelope, xml_declaration=True, encoding="utf-8"),
        status=status,
        content_type="text/xml; charset=utf-8",
    )


def soap_fault(text: str, status: int = 400) -> HttpResponse:
    """A SOAP 1.1 Client fault with a precise reason, built with lxml (text escaped)."""
    body = etree.Element(f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = "soap:Client"
    etree.SubElement(fault, "faultstring").text = text
    return _soap(_envelope(body), status)


def receive_result(value: int) -> HttpResponse:
    """A receiveResponseXML answer, as spyne would shape it."""
    body = etree.Element(f"{{{SOAP_ENV}}}Body")
    response = etree.SubElement(
        body, f"{{{NAMESPACE}}}receiveResponseXMLResponse", nsmap={"tns": NAMESPACE}
    )
    etree.SubElement(response, f"{{{NAMESPACE}}}receiveResponseXMLResult").text = str(value)
    return _soap(_envelope(body))


def _declared_length(request: HttpRequest) -> int | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


def _too_large(envelope: wire.Envelope, declared: int | None, app: str | None) -> HttpResponse:
    limit = settings.QBWC_MAX_BODY_BYTES
    if envelope.operation == "receiveResponseXML" and envelope.ticket:
        # QuickBooks' answer to our own request: a negative value makes the Web Connector
        # call getLastError, which says why, instead of failing the run with a fault.
        return receive_result(
            loop.refuse_oversized_response(envelope.ticket, envelope.size, limit, app)
        )
    return soap_fault(
        f"Request too large: {envelope.size:,} bytes{' or more' if declared is None else ''}; "
        "this server accepts "
        f"SOAP requests of up to {limit:,} bytes (QBWC_MAX_BODY_BYTES).",
        status=413,
    )


@csrf_exempt
def endpoint(request: HttpRequest, connection_id: str | None = None, **_: Any) -> HttpResponse:
    """Serve the SOAP service. The connection comes from credentials and tickets; a
    connection id in the URL (upstream AppURLs) must name the same connection."""
    if request.method == "GET" and "wsdl" not in {k.lower() for k in request.GET}:
        return HttpResponse(
            "qbsync Web Connector endpoint: POST SOAP 1.1 here; the WSDL is at ?wsdl\n",
            content_type="text/plain; charset=utf-8",
        )
    request.META[APP_CONNECTION_KEY] = connection_id
    if request.method == "POST":
        declared = _declared_length(request)
        # request.read(), never request.body: the latter applies Django's
        # DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), far below what a pull can answer.
        stream: wire.Readable = request
        if declared is None and request.META.get("wsgi.input_terminated"):
            # No Content-Length (chunked): Django reads such a body as empty, but a server
            # that sets wsgi.input_terminated (gunicorn) ends the input where the body ends.
            stream = request.META["wsgi.input"]
        envelope = wire.read(stream, declared, settings.QBWC_MAX_BODY_BYTES)
        if envelope.too_large:
            wire.drain(stream, envelope, declared)
            return _too_large(envelope, declared, connection_id)
        if envelope.error:
            return soap_fault(envelope.error)
        # spyne reads the WSGI input itself: hand it the body as read, now UTF-8.
        request.META["wsgi.input"] = io.BytesIO(envelope.body)
        request.META["CONTENT_LENGTH"] = str(len(envelope.body))
        request.META["CONTENT_TYPE"] = "text/xml"
    response: HttpResponse = _spyne(request)
    if response.status_code == 500 and b"Client" in response.content[:2000]:
        # spyne reports envelopes that fail its schema as Client faults with HTTP 500;
        # they are the caller's error, not a server failure.
        response.status_code = 400
    return response
