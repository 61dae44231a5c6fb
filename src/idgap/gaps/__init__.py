"""Gap analysis: per-lead status kept current by writers, and the read models over it."""
