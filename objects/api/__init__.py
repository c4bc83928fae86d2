"""The operations REST API (docs/api.md): QuickBooks entities by their QuickBooks names,
queried and read the same way whatever the backend. Backend-neutral: each backend says
what it can express and answers through objects.backends."""
