"""almguard reports: renderings of a result document for people (HTML, PDF)."""
