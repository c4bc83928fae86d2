"""Pure qbXML helpers: value formatting, ordered building, envelopes, parsing, XSD checks.

Nothing in this package touches the database; the mappers turn FlowLink JSON into
qbXML request elements and read QuickBooks' answers back.
"""
