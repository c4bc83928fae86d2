"""Reading a SOAP request body: bounded, streamed, any encoding."""

from __future__ import annotations

import io

from django.test import SimpleTestCase

from qbwc import wire
from qbwc.simulator.webconnector import build_envelope


def receive(response: str) -> bytes:
    return build_envelope(
        "receiveResponseXML",
        {"ticket": "T-1", "response": response, "hresult": "", "message": ""},
    )


class CountingStream(io.BytesIO):
    """A request stream that remembers how much was read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


class ReadTestCase(SimpleTestCase):
    def test_it_finds_the_operation_and_ticket_of_a_body_over_the_limit_from_its_head(
        self,
    ) -> None:
        body = receive("<QBXML>" + "x" * 1_000_000 + "</QBXML>")
        stream = CountingStream(body)

        envelope = wire.read(stream, len(body), 100_000)

        self.assertEqual(
            (envelope.too_large, envelope.operation, envelope.ticket, envelope.size),
            (True, "receiveResponseXML", "T-1", len(body)),
        )
        self.assertEqual(envelope.body, b"")
        self.assertLessEqual(stream.taken, wire.HEAD_BYTES)

    def test_it_finds_the_limit_by_reading_when_no_length_is_declared(self) -> None:
        body = receive("<QBXML>" + "x" * 300_000 + "</QBXML>")
        stream = CountingStream(body)

        envelope = wire.read(stream, None, 100_000)

        self.assertTrue(envelope.too_large)
        self.assertEqual(stream.taken, 100_001)
        self.assertEqual(envelope.ticket, "T-1")

    def test_it_drains_the_rest_of_a_refused_body(self) -> None:
        body = receive("<QBXML>" + "x" * 300_000 + "</QBXML>")
        stream = CountingStream(body)
        envelope = wire.read(stream, len(body), 100_000)

        wire.drain(stream, envelope, len(body))

        self.assertEqual(stream.taken, len(body))

    def test_it_re_encodes_a_latin_1_envelope_as_utf_8(self) -> None:
        text = receive("Zoë").decode("utf-8").replace('encoding="utf-8"', 'encoding="iso-8859-1"')
        body = text.encode("iso-8859-1")

        envelope = wire.read(io.BytesIO(body), len(body), 100_000)

        self.assertEqual(envelope.error, "")
        self.assertTrue(envelope.body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'))
        self.assertIn("Zoë".encode(), envelope.body)

    def test_it_reads_a_text_node_larger_than_libxml2s_default_limit(self) -> None:
        body = receive("<QBXML>" + "x" * 11_000_000 + "</QBXML>")

        envelope = wire.read(io.BytesIO(body), len(body), 50_000_000)

        self.assertEqual((envelope.error, envelope.body), ("", body))
