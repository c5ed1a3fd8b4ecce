"""Views of results for people: `text` (tables on a terminal, summary files), `html` (the report)."""
