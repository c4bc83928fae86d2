"""Pure readers: one QuickBooks `…Ret` element → one FlowLink output record (flowlink §9)."""
