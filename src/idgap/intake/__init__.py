"""Loading the park's source tables (and the reference's identity tables) into the store."""
