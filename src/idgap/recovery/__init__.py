"""The one recovery job (SPEC §6): locked, batched, idempotent, safe to kill."""
