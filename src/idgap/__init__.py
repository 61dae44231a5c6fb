"""idgap: find, explain and close a fleet park's identity gap."""

__version__ = "0.1.0"
