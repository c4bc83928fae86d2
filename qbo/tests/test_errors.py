from __future__ import annotations

import json
from typing import Any

from django.test import SimpleTestCase

from qbo.errors import (
    AccessDenied,
    AuthFailed,
    Duplicate,
    Invalid,
    NotFound,
    Stale,
    Throttled,
    Transient,
    error_from_fault,
    parse_fault,
)

TID = {"intuit_tid": "1-abc"}


def fault(*errors: dict[str, Any]) -> bytes:
    return json.dumps({"Fault": {"Error": list(errors), "type": "ValidationFault"}}).encode()


def item(code: str, message: str = "Message", detail: str = "Detail") -> dict[str, Any]:
    return {"Message": message, "Detail": detail, "code": code, "element": ""}


GATEWAY_401 = json.dumps(
    {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": "Token expired: eyJlbmMiOiJBMTI4Q0JD",
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "time": 1533811101733,
    }
).encode()

XML_429 = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2026-03-02T09:00:00.000-08:00">
  <Fault type="SERVICE">
    <Error code="003001">
      <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>
      <Detail>The request limit was reached.</Detail>
    </Error>
  </Fault>
</IntuitResponse>"""


class ParseFaultTestCase(SimpleTestCase):
    def test_it_reads_an_upper_case_fault_with_its_detail(self) -> None:
        error = parse_fault(400, TID, fault(item("6240", "Duplicate Name Exists Error", "Taken")))

        self.assertIsInstance(error, Duplicate)
        self.assertEqual(str(error), "6240 Duplicate Name Exists Error: Taken")
        self.assertEqual((error.status, error.intuit_tid), (400, "1-abc"))

    def test_it_reads_the_gateway_401_lower_case_body(self) -> None:
        error = parse_fault(401, TID, GATEWAY_401)

        self.assertIsInstance(error, AuthFailed)
        self.assertEqual(error.code, "3200")
        self.assertEqual(error.message, "AuthenticationFailed")
        self.assertEqual(error.detail, "Token expired: eyJlbmMiOiJBMTI4Q0JD")

    def test_it_reads_an_xml_429_with_a_padded_code_and_retry_after(self) -> None:
        error = parse_fault(429, {"Retry-After": "7", **TID}, XML_429)

        assert isinstance(error, Throttled)
        self.assertEqual((error.code, error.message), ("3001", "ThrottleExceeded"))
        self.assertEqual(error.detail, "The request limit was reached.")
        self.assertEqual(error.retry_after, 7.0)

    def test_it_takes_a_429_without_retry_after_as_unknown_wait(self) -> None:
        error = parse_fault(429, {}, fault(item("3001")))

        assert isinstance(error, Throttled)
        self.assertIsNone(error.retry_after)

    def test_it_keeps_every_error_of_a_multi_error_fault(self) -> None:
        error = parse_fault(400, {}, fault(item("2020"), item("2500")))

        self.assertIsInstance(error, Invalid)
        self.assertEqual([e["code"] for e in error.errors], ["2020", "2500"])
        self.assertEqual(error.code, "2020")

    def test_it_names_each_code_s_class(self) -> None:
        cases: list[tuple[int, str, type[Exception]]] = [
            (401, "100", AuthFailed),
            (403, "3100", AccessDenied),
            (403, "120", AccessDenied),
            (400, "610", NotFound),
            (400, "5010", Stale),
            (400, "6140", Duplicate),
            (400, "6000", Invalid),
            (400, "500", Invalid),
            (400, "4001", Invalid),
            (500, "10000", Transient),
            (400, "10000", Transient),
            (503, "", Transient),
        ]
        for status, code, kind in cases:
            with self.subTest(code=code, status=status):
                self.assertIsInstance(parse_fault(status, {}, fault(item(code))), kind)

    def test_it_reads_lower_case_keys_of_a_json_fault(self) -> None:
        body = json.dumps(
            {"fault": {"error": [{"message": "Stale Object Error", "detail": "d", "code": "5010"}]}}
        ).encode()

        self.assertIsInstance(parse_fault(400, {}, body), Stale)

    def test_it_takes_an_html_page_for_what_its_status_says(self) -> None:
        error = parse_fault(502, {}, b"<html><body>Bad Gateway</body></html>")

        self.assertIsInstance(error, Transient)
        self.assertIn("Bad Gateway", str(error))

    def test_it_takes_garbage_on_a_200_as_transient(self) -> None:
        self.assertIsInstance(parse_fault(200, {}, b"\x00not json"), Transient)

    def test_it_takes_a_404_for_the_wrong_realm_not_a_missing_record(self) -> None:
        self.assertIsInstance(parse_fault(404, {}, fault(item("610"))), AccessDenied)

    def test_it_does_not_resolve_entities_in_xml(self) -> None:
        body = (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<IntuitResponse><Fault><Error code="6000"><Detail>&x;</Detail></Error></Fault>'
            b"</IntuitResponse>"
        )

        error = parse_fault(400, {}, body)

        self.assertIsInstance(error, Invalid)
        self.assertNotIn("root:", str(error))

    def test_it_reads_a_failed_batch_item(self) -> None:
        error = error_from_fault({"Error": [item("6240")], "type": "ValidationFault"})

        self.assertIsInstance(error, Duplicate)
