"""QuickBooks Online JSON records → FlowLink records, per get_* route (docs/qbo-pulls.md).

The shapes are those of the Desktop readers (qbwc.qbxml.readers, flowlink §9): the same
keys, `qbe_id` holding QBO's `Id`. A QBO field with no Desktop twin is kept under a
`qbo_` name; money is written as the decimal string QuickBooks sent, like Desktop's.
"""
