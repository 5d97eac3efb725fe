"""An audit entry's details in words: ``title: Old → New``, ``speakers: A, B → A, C``, never a raw Python list.

The catalog stores each change as JSON (``changes: {field: [before, after]}``, ``before``/``after`` pairs, a
renamed name as ``[old, new]``); the staff audit pages show them through ``audit_lines``.
"""

from __future__ import annotations

ARROW = "→"
NOTHING = "(none)"


def audit_lines(detail: dict) -> list[str]:
    """One readable line per fact in ``detail``."""
    detail = dict(detail or {})
    lines = []
    if "before" in detail and "after" in detail:
        lines.append(f"{_value(detail.pop('before'))} {ARROW} {_value(detail.pop('after'))}")
    changes = detail.pop("changes", None)
    if isinstance(changes, dict):
        lines += [f"{field}: {_change(value)}" for field, value in changes.items()]
    for key, value in detail.items():
        lines.append(f"{key}: {_change(value)}")
    return lines


def _change(value) -> str:
    if isinstance(value, list) and len(value) == 2 and not any(isinstance(v, list | dict) for v in value):
        return f"{_value(value[0])} {ARROW} {_value(value[1])}"
    return _value(value)


def _value(value) -> str:
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, list):
        return ", ".join(_item(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return str(value)


def _item(value) -> str:
    if isinstance(value, list):  # a chapter [start, title], a credit [name, role]
        return " ".join(_value(v) for v in value if v not in (None, ""))
    return _value(value)
