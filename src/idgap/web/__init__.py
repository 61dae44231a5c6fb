"""Server-rendered web UI in Spanish: dashboard, review queue, detail pages, runs, upload."""
