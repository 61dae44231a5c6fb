"""From identity to money (SPEC §5.1): Yango's payments tied to leads, and the claims ledger."""
