"""Synthetic park generator: realistic Peruvian leads, drivers, trips and the ground truth."""

from idgap.synth.park import SyntheticPark, generate_park, write_park

__all__ = ["SyntheticPark", "generate_park", "write_park"]
