"""The HTTP layer: retry policy and decision, auth objects, redaction of secrets."""
