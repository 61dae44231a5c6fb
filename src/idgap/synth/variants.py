"""The noise models of the labelled parks beyond the default one: `hard` and `holdout`.

A model is data: which story each lead tells (its primary `case`) and how often each
independent mishap (a `tag`) strikes the lead form, the driver table or Yango's activity flags.
The mechanisms behind the tags live in `synth.noise`, `synth.leadform` and `synth.flags`.

`hard` is the park to develop and tune on. `holdout` was designed separately, with other
mechanisms and other rates, so that figures can be reported on data nobody tuned on: do not
tune weights, thresholds or rules on it; only measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

VARIANTS = ("default", "hard", "holdout")
DEFAULT_FLAG_ERRORS = 0.10  # share of leads whose Yango activity flags are stale or wrong


@dataclass(frozen=True)
class NoiseModel:
    """Shares are of all leads; tags strike independently of the case and of each other,
    except that a lead gets at most one plate mishap and one flag error."""

    name: str
    salt: int  # mixed into the seed: the same seed gives unrelated hard and holdout parks
    cases: dict[str, float]
    phone_share: float  # leads that carry a phone although their story does not need one
    plate_tags: dict[str, float]  # plate mishaps, mutually exclusive
    plate_on_driver_side: float  # share of plate mishaps made in the driver table, not the lead
    name_tags: dict[str, float]
    phone_tags: dict[str, float]
    flag_tags: dict[str, float]  # relative weights of the flag errors (sum to 1)
    flag_window_days: int  # Yango counts trips from the lead date over this many days
    flag_export_lag_days: int  # flags were exported this many days before the anchor date
    late_hire_days: tuple[int, int]
    namesake_share: float = 0.08  # same-named strangers somewhere in the driver table
    extra: dict[str, float] = field(default_factory=dict)


HARD = NoiseModel(
    name="hard",
    salt=0x4A2D,
    cases={
        "plate_in_window": 0.30,
        "phone_match": 0.08,
        "late_hire": 0.07,
        "recreated_account": 0.07,
        "namesake_family_car": 0.06,
        "car_changed": 0.06,
        "plate_outside_window": 0.05,
        "two_leads_same_driver": 0.04,
        "never_converted": 0.13,
        "decoy_drives": 0.08,
        "other_park_only": 0.06,
    },
    phone_share=0.04,
    plate_tags={
        "no_plate": 0.14,
        "plate_lookalike": 0.07,
        "plate_transposed": 0.03,
        "plate_char_dropped": 0.02,
        "plate_char_inserted": 0.015,
    },
    plate_on_driver_side=0.3,
    name_tags={
        "nickname": 0.07,
        "initials": 0.05,
        "no_second_surname": 0.15,
        "swapped_order": 0.08,
        "accents_dropped": 0.40,
    },
    phone_tags={},
    flag_tags={"flags_stale": 0.4, "flags_swapped": 0.3, "flags_zeroed": 0.3},
    flag_window_days=30,
    flag_export_lag_days=1,
    late_hire_days=(31, 60),
)

# Designed apart from HARD, for reporting only: never tune the engine on this park.
HOLDOUT = NoiseModel(
    name="holdout",
    salt=0x7B11,
    cases={
        "plate_in_window": 0.34,
        "phone_match": 0.10,
        "late_hire": 0.05,
        "recreated_account": 0.04,
        "namesake_family_car": 0.03,
        "car_changed": 0.04,
        "plate_outside_window": 0.06,
        "two_leads_same_driver": 0.03,
        "family_phone": 0.04,
        "fleet_transfer": 0.05,
        "never_converted": 0.12,
        "decoy_drives": 0.05,
        "other_park_only": 0.05,
    },
    phone_share=0.08,
    plate_tags={
        "no_plate": 0.09,
        "plate_adjacent_key": 0.05,
        "plate_lookalike": 0.03,
        "plate_transposed": 0.02,
        "plate_truncated": 0.02,
    },
    plate_on_driver_side=0.15,
    name_tags={
        "phonetic_spelling": 0.08,
        "name_adjacent_key": 0.05,
        "goes_by_middle_name": 0.05,
        "married_name": 0.30,  # of women only (about 15 % of drivers)
        "single_field": 0.04,
        "no_second_surname": 0.10,
        "accents_dropped": 0.55,
    },
    phone_tags={
        "phone_changed": 0.15,  # of leads that carry a phone
        "phone_digit_typo": 0.06,
        "phone_landline": 0.04,
        "phone_odd_format": 0.20,
    },
    flag_tags={
        "flags_day_shifted": 0.35,
        "flags_lifetime": 0.25,
        "flags_inflated": 0.2,
        "flags_neighbour_row": 0.2,
    },
    flag_window_days=14,
    flag_export_lag_days=0,
    late_hire_days=(31, 90),
    namesake_share=0.06,
)

MODELS = {m.name: m for m in (HARD, HOLDOUT)}
