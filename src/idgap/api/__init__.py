"""HTTP API under /api/v1: the reference's paths and shapes, with tokens and clean errors."""
