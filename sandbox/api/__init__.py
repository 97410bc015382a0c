"""HTTP handlers, one module per GitHub resource area."""
