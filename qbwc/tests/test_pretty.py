"""Pretty-printing qbXML for the admin."""

from __future__ import annotations

from django.test import SimpleTestCase

from qbwc.qbxml.pretty import fragment, pretty

MESSAGE = (
    '<?xml version="1.0"?><?qbxml version="16.0"?><QBXML><QBXMLMsgsRq onError="continueOnError">'
    '<CustomerQueryRq requestID="a1"><FullName>Jo</FullName></CustomerQueryRq>'
    '<ItemQueryRq requestID="b2"><FullName>SETUP</FullName></ItemQueryRq>'
    "</QBXMLMsgsRq></QBXML>"
)


class PrettyTestCase(SimpleTestCase):
    def test_it_indents_a_message_and_keeps_its_qbxml_version(self) -> None:
        text = pretty(MESSAGE)
        self.assertTrue(text.startswith('<?qbxml version="16.0"?>\n<QBXML>\n  <QBXMLMsgsRq'))
        self.assertIn('\n    <CustomerQueryRq requestID="a1">\n      <FullName>Jo</FullName>', text)

    def test_it_picks_the_one_request_of_an_object(self) -> None:
        self.assertEqual(
            fragment(MESSAGE, "b2"),
            '<ItemQueryRq requestID="b2">\n  <FullName>SETUP</FullName>\n</ItemQueryRq>',
        )

    def test_it_shows_text_that_is_not_xml_as_it_came(self) -> None:
        self.assertEqual(pretty("QuickBooks said <nonsense"), "QuickBooks said <nonsense")
        self.assertEqual(fragment("<nonsense", "a1"), "")

    def test_it_never_expands_entities(self) -> None:
        hostile = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
        self.assertEqual(pretty(hostile), hostile)
