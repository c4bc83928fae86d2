"""What the fake Web Connector tests share: a scripted SOAP stub, a stub QuickBooks and the
connector built on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from qbwc.simulator.webconnector import (
    QBWC_NS,
    SOAP11_NS,
    XSI_NS,
    FakeWebConnector,
)

URL = "https://qbsync.example.com/qbwc/?tenant=acme"
TICKET = "8f0c1e3a-5b7d-4c2e-9a11-3d5f7b9c0e21"
PASSWORD = "s3cret-pass-word"
REQUEST_1 = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
    '<QBXMLMsgsRq onError="continueOnError"><CustomerQueryRq requestID="1"/></QBXMLMsgsRq>'
    "</QBXML>"
)
REQUEST_2 = REQUEST_1.replace('requestID="1"', 'requestID="2"')
HCP = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><HostQueryRs requestID="0" statusCode="0" '
    'statusSeverity="Info" statusMessage="Status OK"><HostRet><ProductName>QuickBooks '
    "Enterprise Solutions 18.0</ProductName></HostRet></HostQueryRs></QBXMLMsgsRs></QBXML>"
)


class Seq:
    """Answers given one after another; the last one repeats."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)

    def next(self) -> object:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class Nil:
    """Answer with `<opResult xsi:nil="true"/>`."""


@dataclass
class Raw:
    """Answer with these exact HTTP bytes instead of a generated envelope."""

    body: bytes
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"


@dataclass
class Received:
    url: str
    headers: dict[str, str]
    root: etree._Element
    op: str
    params: dict[str, str]
    names: list[str]


def soap_reply(op: str, result: object) -> bytes:
    """Build a SOAP 1.1 reply the way a correct server would."""
    envelope = etree.Element(f"{{{SOAP11_NS}}}Envelope", nsmap={"soap": SOAP11_NS})
    body = etree.SubElement(envelope, f"{{{SOAP11_NS}}}Body")
    wrapper = etree.SubElement(body, f"{{{QBWC_NS}}}{op}Response", nsmap={None: QBWC_NS})
    element = etree.SubElement(wrapper, f"{{{QBWC_NS}}}{op}Result", nsmap={"xsi": XSI_NS})
    if isinstance(result, Nil):
        element.set(f"{{{XSI_NS}}}nil", "true")
    elif isinstance(result, list):
        for item in result:
            etree.SubElement(element, f"{{{QBWC_NS}}}string").text = item
    else:
        element.text = str(result)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


class ScriptedServer:
    """A transport that answers each operation from a dict of canned results."""

    def __init__(self, **overrides: object) -> None:
        self.script: dict[str, object] = {
            "serverVersion": "qbsync-test 0.0",
            "clientVersion": "",
            "authenticate": [TICKET, ""],
            "sendRequestXML": Seq(REQUEST_1, REQUEST_2),
            "receiveResponseXML": Seq(50, 100),
            "connectionError": "done",
            "getLastError": "No error",
            "closeConnection": "Complete!",
        }
        self.script.update(overrides)
        self.received: list[Received] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        root = etree.fromstring(body)
        body_node = root.find(f"{{{SOAP11_NS}}}Body")
        assert body_node is not None
        wrapper = body_node[0]
        op = etree.QName(wrapper).localname
        self.received.append(
            Received(
                url=url,
                headers=headers,
                root=root,
                op=op,
                params={etree.QName(child).localname: child.text or "" for child in wrapper},
                names=[etree.QName(child).localname for child in wrapper],
            )
        )
        answer = self.script[op]
        if isinstance(answer, Seq):
            answer = answer.next()
        if isinstance(answer, Raw):
            return answer.status, answer.content_type, answer.body
        return 200, "text/xml; charset=utf-8", soap_reply(op, answer)

    @property
    def ops(self) -> list[str]:
        return [received.op for received in self.received]

    def sent(self, op: str) -> list[Received]:
        return [received for received in self.received if received.op == op]


class StubQuickBooks:
    """Answers every request with one fixed response and counts sessions."""

    def __init__(self, hresult: str = "", message: str = "") -> None:
        self.hresult = hresult
        self.message = message
        self.processed: list[str] = []
        self.hcp_versions: list[str] = []
        self.sessions = 0

    def process(self, request_xml: str) -> tuple[str, str, str]:
        self.processed.append(request_xml)
        if self.hresult:
            return "", self.hresult, self.message
        number = len(self.processed)
        response = (
            '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs '
            f'requestID="{number}" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
            "<CustomerRet><Name>Smith &amp; Sons</Name></CustomerRet></CustomerQueryRs>"
            "</QBXMLMsgsRs></QBXML>"
        )
        return response, "", ""

    def hcp_response(self, version: str = "13.0") -> str:
        self.hcp_versions.append(version)
        return HCP

    def new_session(self) -> None:
        self.sessions += 1


def make_connector(
    server: ScriptedServer, quickbooks: StubQuickBooks | None = None, **options: Any
) -> FakeWebConnector:
    url = options.pop("url", URL)
    quickbooks = quickbooks or StubQuickBooks()
    return FakeWebConnector(url, "acme-qbd", PASSWORD, quickbooks, transport=server, **options)


HAPPY_OPS = [
    "serverVersion",
    "clientVersion",
    "authenticate",
    "sendRequestXML",
    "receiveResponseXML",
    "sendRequestXML",
    "receiveResponseXML",
    "closeConnection",
]
