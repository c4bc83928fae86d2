"""A QuickBooks query response of any size, generated on the fly as a byte stream.

For memory and throughput measurements of the pull parser (qbwc.qbxml.stream):
the document is never held in memory, so what a measurement sees is the parser's
own footprint. Records look like a real CustomerRet (addresses, custom fields).
"""

from __future__ import annotations

import io

HEAD = (
    b'<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n'
    b'<CustomerQueryRs requestID="p1-bench" statusCode="0" statusSeverity="Info" '
    b'statusMessage="Status OK" iteratorRemainingCount="0" '
    b'iteratorID="{8D4F9C2B-6A3E-4F0D-9B1A-2C3D4E5F6A7B}">\n'
)
TAIL = b"</CustomerQueryRs>\n</QBXMLMsgsRs>\n</QBXML>\n"


def customer_ret(number: int) -> bytes:
    """One CustomerRet of about 500 bytes (a real one is larger; more records per MB is
    the harder case for the parser)."""
    stamp = 1_600_000_000 + number
    return (
        f"<CustomerRet><ListID>{0x80000000 + number:08X}-{stamp}</ListID>"
        f"<TimeCreated>2020-09-13T05:26:40-07:00</TimeCreated>"
        f"<TimeModified>2021-02-03T10:{number // 60 % 60:02d}:{number % 60:02d}-08:00"
        f"</TimeModified><EditSequence>{stamp}</EditSequence>"
        f"<Name>Customer {number:07d} &amp; Sons</Name>"
        f"<FullName>Customer {number:07d} &amp; Sons</FullName><IsActive>true</IsActive>"
        f"<BillAddress><Addr1>{number} Main Street</Addr1><City>Springfield</City>"
        f"<State>OR</State><PostalCode>97477</PostalCode></BillAddress>"
        f"<Phone>555-{number % 10000:04d}</Phone><Email>c{number}@example.test</Email>"
        f"<Balance>{number % 997}.00</Balance>"
        f"<DataExtRet><OwnerID>0</OwnerID><DataExtName>Loyalty</DataExtName>"
        f"<DataExtType>STR255TYPE</DataExtType><DataExtValue>tier {number % 5}</DataExtValue>"
        f"</DataExtRet></CustomerRet>\n"
    ).encode()


class LargeQueryResponse(io.RawIOBase):
    """A readable stream of a CustomerQueryRs with `records` CustomerRets."""

    def __init__(self, records: int) -> None:
        self.records = records
        self.number = 0
        self.pending = HEAD
        self.finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self.pending) < len(buffer) and not self.finished:
            if self.number < self.records:
                chunk = b"".join(customer_ret(n) for n in range(self.number,
                                 min(self.records, self.number + 64)))  # fmt: skip
                self.number = min(self.records, self.number + 64)
                self.pending += chunk
            else:
                self.pending += TAIL
                self.finished = True
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def response_size(records: int) -> int:
    """Bytes of a response with `records` records."""
    return len(HEAD) + len(TAIL) + sum(len(customer_ret(n)) for n in range(records))
