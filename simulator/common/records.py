"""Helpers for validated configuration records: a strict pydantic base, a deep merge of nested
mappings (presets with overrides, models with overrides), and a short form of a bad value for
error messages."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A frozen pydantic record that refuses unknown keys and validates its defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def deep_merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` merged in, nested mappings key by key (copies, never views).

    >>> deep_merge({"P": {"theta": 0.04, "kappa": 2.0}}, {"P": {"theta": 0.03}})
    {'P': {'theta': 0.03, 'kappa': 2.0}}
    """
    out = {k: copy.deepcopy(v) for k, v in base.items()}
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters for an error message.

    >>> short_repr("x" * 100, 10)
    "'xxxxxx..."
    """
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
