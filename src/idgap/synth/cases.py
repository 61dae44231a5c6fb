"""Which story each lead tells (the truth `case`), when it happened and when its driver was hired.

Shapes follow REF §10.1: most unresolved leads have name + plate, no phone, and plate hits only
outside the reference's hire-date window or no plate hit at all.
"""

from __future__ import annotations

import numpy as np

# case -> share of leads
CASES: dict[str, float] = {
    "phone_match": 0.10,
    "plate_in_window": 0.40,
    "plate_outside_window": 0.10,
    "name_variant": 0.10,
    "plate_confusable": 0.04,
    "car_changed": 0.03,
    "two_leads_same_driver": 0.03,
    "shared_family_car": 0.03,
    "other_park_only": 0.03,
    "never_converted": 0.14,
}
# the person has no account in the target park: nothing to link to
NO_TARGET_DRIVER = frozenset({"other_park_only", "never_converted"})
# the lead is a second registration of a person who already has a lead (and an account)
SECOND_LEAD = "two_leads_same_driver"
# converted leads whose person may register a second time
DONOR_CASES = ("plate_in_window", "phone_match", "name_variant")
LEAD_DAYS = 120


def assign_cases(rng: np.random.Generator, n: int) -> np.ndarray:
    names = np.array(list(CASES))
    weights = np.array(list(CASES.values()))
    case = names[rng.choice(len(names), n, p=weights / weights.sum())]
    if not np.isin(case, DONOR_CASES).any():  # tiny parks: a second lead needs a first one
        case = np.where(case == SECOND_LEAD, "plate_in_window", case)
    return case


def lead_ages(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days before the anchor date; denser for recent days, some inside the open 14-day window."""
    return np.floor(LEAD_DAYS * rng.beta(1.0, 1.8, n)).astype(np.int64)


def hire_offsets(rng: np.random.Generator, case: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Hire date minus lead date, in days; never after the anchor date (offset <= age).

    Converted drivers are usually hired within days after the lead, some before it. For
    `plate_outside_window` the account is years older (a re-registration) or 40-200 days younger
    than the lead, i.e. outside the reference's [-90, +30] window.
    """
    n = len(case)
    before = rng.random(n) < 0.2
    near = np.where(before, -rng.integers(1, 61, n), np.floor(rng.exponential(5.0, n)).astype(int))
    near = np.minimum(near, 25)
    years_before = -rng.integers(150, 1100, n)
    late_possible = age >= 40
    late = 40 + np.floor(rng.random(n) * (np.minimum(age, 200) - 39)).astype(np.int64)
    outside = np.where(late_possible & (rng.random(n) < 0.3), late, years_before)
    offset = np.where(case == "plate_outside_window", outside, near)
    return np.minimum(offset, age)


def pick_donors(rng: np.random.Generator, case: np.ndarray) -> np.ndarray:
    """For every second lead, the index of an earlier lead of the same person (-1 elsewhere)."""
    donors = np.flatnonzero(np.isin(case, DONOR_CASES))
    seconds = np.flatnonzero(case == SECOND_LEAD)
    out = np.full(len(case), -1, dtype=np.int64)
    if len(seconds) <= len(donors):  # distinct first leads while there are enough
        out[seconds] = donors[rng.permutation(len(donors))[: len(seconds)]]
    elif len(donors):
        out[seconds] = donors[rng.integers(0, len(donors), len(seconds))]
    return out


def second_lead_ages(rng: np.random.Generator, donor_age: np.ndarray) -> np.ndarray:
    """The second registration comes 15-60 days after the first (before it if that is recent)."""
    gap = rng.integers(15, 61, len(donor_age))
    later = donor_age - gap
    return np.where(later >= 0, later, np.minimum(donor_age + gap, LEAD_DAYS - 1))
