"""The pure matching engine: data frames in, decisions out. No database in here."""
