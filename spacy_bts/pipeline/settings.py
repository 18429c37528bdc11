"""The components' settings: what each must be, checked when built and when loaded.

Errors name the component, the setting, what it must be and, for a loaded
pipeline, the file it was saved in.
"""

from typing import Any, Callable, Dict, Optional, Tuple

from ..heads.tagging import DEFAULT_TAGGER_MODEL

# quantize: float32 (false), int8 (true), bfloat16, or bfloat16 where the CPU computes it natively.
QUANTIZE_SETTINGS = (False, True, "int8", "bfloat16", "auto")


def factory_settings(args: Dict[str, Any]) -> Dict[str, Any]:
    """A factory's settings for its component: its arguments less ``nlp``, ``name`` and ``model``."""
    return {key: value for key, value in args.items() if key not in ("nlp", "name", "model")}


# Segment length of a model that does not segment itself (a tagger over a shared encoder).
DEFAULT_SEGMENT_LENGTH = 256

# Default training windows: one per 20 possible offsets (each byte in ~3 windows per epoch).
DEFAULT_WINDOW_RATE = 0.05

# The factories' defaults of the settings both components have.
SHARED_DEFAULT_CONFIG = {
    "model": DEFAULT_TAGGER_MODEL,
    "threshold": 0.0,
    "overlap": None,
    "training_windows": {"@misc": "spacy-bts.random_windows.v1", "rate": DEFAULT_WINDOW_RATE},
    "max_batch_segments": 128,
    "max_spans_per_segment": None,
    "quantize": "auto",
}


Checks = Dict[str, Tuple[Callable[[Any], bool], str]]


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_label_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value) and len(set(value)) == len(value)


def shared_checks(segment_length: int) -> Checks:
    """The checks of the settings every BTS component has."""
    k = segment_length
    return {
        "labels": (is_label_list, "a list of distinct strings"),
        "spans_key": (lambda v: isinstance(v, str) and bool(v), "a non-empty string"),
        "threshold": (lambda v: is_number(v) and 0.0 <= v <= 1.0, "a number in [0, 1]"),
        "overlap": (lambda v: is_int(v) and 0 <= v < k, f"an integer in [0, {k}) (segment_length {k})"),
        "max_batch_segments": (lambda v: is_int(v) and v >= 1, "an integer >= 1"),
        "max_spans_per_segment": (lambda v: is_int(v) and v >= 1, "an integer >= 1"),
        "quantize": (
            lambda v: isinstance(v, bool) or v in QUANTIZE_SETTINGS[2:],
            'false, true, "int8", "bfloat16" or "auto"',
        ),
    }


def check_settings(component: str, checks: Checks, cfg: Dict[str, Any], source: Optional[str] = None) -> None:
    """Raise a ValueError naming the first setting of ``cfg`` that is invalid."""
    where = "" if source is None else f" (saved in {source})"
    for setting, (valid, expected) in checks.items():
        if setting in cfg and not valid(cfg[setting]):
            raise ValueError(f"[{component}] {setting} must be {expected}, got {cfg[setting]!r}{where}")
