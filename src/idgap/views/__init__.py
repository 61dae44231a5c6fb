"""Screen view models: what each screen shows, computed once as plain data.

The API renders a view as JSON (/api/v1/screens/...), the web page renders the same dict as
HTML, and `idgap diagnose` reads the same services, so the numbers agree by construction
(datasette's "one context, two renderers"). Views hold codes and numbers only; Spanish labels
and CSS classes live in the web layer (web/labels.py, templates).
"""
