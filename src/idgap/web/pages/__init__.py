"""The web pages, one module per screen (its routes and the forms it posts)."""
