"""QuickBooks Online: the local double of Intuit's Accounting API (qbo.double)."""
