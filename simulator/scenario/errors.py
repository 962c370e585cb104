"""Scenario-file errors: :class:`ScenarioError` (every problem of a file, each as a field path
and a message) and the translation of pydantic's errors into such problems, with the allowed
keys of an unknown key and both bounds of a range."""

from __future__ import annotations

import types
import typing

from pydantic import BaseModel, ValidationError

from simulator.common.records import short_repr


class ScenarioError(ValueError):
    """Invalid scenario file: ``problems`` is a list of (field path, message)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = list(problems)
        lines = [f"{source}: {len(self.problems)} problem(s):"]
        lines += [f"  {loc or '<file>'}: {msg}" for loc, msg in self.problems]
        super().__init__("\n".join(lines))


def _unwrap(tp):
    """The pydantic model (or container) inside Optional/Union/Annotated annotations."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            inner = _unwrap(arg)
            if (isinstance(inner, type) and issubclass(inner, BaseModel)) or \
                    typing.get_origin(inner) in (dict, list, tuple):
                return inner
        return tp
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    return tp


def _allowed_keys(tp, loc: tuple) -> list[str] | None:
    """Field names of the model at ``loc`` (for "unknown key" messages), or None."""
    tp = _unwrap(tp)
    for part in loc:
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = _by_key(tp)  # a field is written by its alias where it has one
            if part not in fields:
                return None
            tp = _unwrap(fields[part].annotation)
        elif origin is dict:
            _key_tp, tp = typing.get_args(tp)
            tp = _unwrap(tp)
        elif origin in (list, tuple):
            tp = _unwrap(typing.get_args(tp)[0])
        else:
            return None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(_by_key(tp))
    return None


def _by_key(tp) -> dict:
    """A record's fields by the key a file gives them (``validate`` for ``validate_``)."""
    return {info.alias or name: info for name, info in tp.model_fields.items()}


def _field_info(tp, loc: tuple):
    """The pydantic FieldInfo at ``loc`` under ``tp`` (for range messages), or None."""
    tp = _unwrap(tp)
    info = None
    for part in loc:
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if part not in tp.model_fields:
                return None
            info = tp.model_fields[part]
            tp = _unwrap(info.annotation)
        elif origin is dict:
            tp, info = _unwrap(typing.get_args(tp)[1]), None
        elif origin in (list, tuple):
            tp, info = _unwrap(typing.get_args(tp)[0]), None
        else:
            return None
    return info


def _range_text(info) -> str | None:
    """'allowed: 0 < x <= 1' from a field's bounds (both ends, not only the one missed)."""
    low = high = None
    for m in getattr(info, "metadata", ()):
        for attr, sign in (("gt", "<"), ("ge", "<=")):
            if getattr(m, attr, None) is not None:
                low = f"{getattr(m, attr):g} {sign} "
        for attr, sign in (("lt", "<"), ("le", "<=")):
            if getattr(m, attr, None) is not None:
                high = f" {sign} {getattr(m, attr):g}"
    if low is None and high is None:
        return None
    return f"allowed: {low or ''}x{high or ''}"


def _model_names() -> set[str]:
    names, todo = set(), [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            names.add(sub.__name__)
            todo.append(sub)
    return names


def pydantic_problems(err: ValidationError, prefix: str, root_type) -> list[tuple[str, str]]:
    tags = _model_names()
    out = []
    for e in err.errors():
        raw_loc = e["loc"]
        if any(isinstance(p, str) and p.startswith("literal[") for p in raw_loc) \
                and not isinstance(e.get("input"), str):
            continue  # the "none" alternative of a union, irrelevant for a mapping
        # drop the union-member tags pydantic inserts in locations (class names, validators)
        loc = tuple(p for p in raw_loc if not (isinstance(p, str) and (
            p in tags or p == "[key]" or p.startswith(("literal[", "function-")))))
        path = ".".join(str(p) for p in (prefix, *loc) if p != "")
        kind = e["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(root_type, loc[:-1])
            msg = "unknown key" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
        elif kind == "missing":
            msg = "missing (required)"
        else:
            msg = e["msg"].removeprefix("Value error, ")
            if "input" in e and not isinstance(e["input"], dict | list):
                msg += f" (got {short_repr(e['input'])})"
            if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal",
                        "finite_number"):
                info = _field_info(root_type, loc)
                allowed = _range_text(info)
                if allowed:
                    msg += f"; {allowed}"
                msg += _percent_hint(info, e.get("input"))
        out.append((path, msg))
    return dedupe(out)


def _percent_hint(info, value) -> str:
    """A fraction given as a percentage (``budget_annual: 3`` for 3 %) gets the fix spelled out."""
    upper = next((getattr(m, attr) for m in getattr(info, "metadata", ())
                  for attr in ("le", "lt") if getattr(m, attr, None) is not None), None)
    if upper is None or upper > 1 or not isinstance(value, int | float) \
            or not 1 < value <= 100:
        return ""
    return f" (a fraction of 1: for {value:g} % write {value / 100:g})"


def dedupe(problems):
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


