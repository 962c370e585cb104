"""Shipped model presets (``presets/*.yaml``, each with its citation) and ``load_model``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from simulator.common import safe_yaml
from simulator.model.params import Model, ParameterError

_PRESET_KEYS = {"name", "description", "citation", "notes", "feller_violation_acknowledged",
                "calibration",
                "model"}


def preset_names() -> list[str]:
    """Names of the shipped presets."""
    folder = resources.files("simulator.model") / "presets"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def load_model(name_or_path: str | Path) -> Model:
    """A shipped preset by name (``"svcj_default"``) or a model YAML file by path.

    A model file is either a preset document (``name``, ``citation``, ``model: {r, q, spx0, v0,
    P, Q}``) or the bare parameter mapping ``{r, q, spx0, v0, P, Q}``.
    """
    text_name = str(name_or_path)
    if text_name in preset_names() and not Path(text_name).suffix:
        path = resources.files("simulator.model") / "presets" / f"{text_name}.yaml"
        source = f"preset {text_name} ({path})"
    else:
        path = Path(name_or_path)
        source = str(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"{name_or_path!s}: no such model file, and not a preset name "
                f"(presets: {', '.join(preset_names())})"
            )
    try:
        doc = safe_yaml.load(safe_yaml.read_text(path))  # at most the size limit + 1 byte
    except (OSError, UnicodeDecodeError) as err:
        raise ParameterError([("<file>", f"cannot read as UTF-8 text: {err}")], source) from None
    except safe_yaml.YamlLimitError as err:
        raise ParameterError([("<file>", str(err))], source) from None
    except yaml.YAMLError as err:
        raise ParameterError([("<file>", f"not valid YAML: {' '.join(str(err).split())}")],
                             source) from None
    if not isinstance(doc, dict):
        raise ParameterError([("<root>", "must be a mapping")], source)
    if "model" in doc:
        unknown = set(doc) - _PRESET_KEYS
        if unknown:
            raise ParameterError(
                [(k, f"unknown key; allowed: {sorted(_PRESET_KEYS)}") for k in sorted(unknown)],
                source)
        return Model.from_dict(
            doc["model"], name=doc.get("name", path.name), citation=doc.get("citation"),
            source=source, feller_acknowledged=bool(doc.get("feller_violation_acknowledged")),
        )
    return Model.from_dict(doc, name=path.name, source=source)
