"""Reading and writing workflow definitions as YAML or JSON.

YAML is read with a strict, JSON-like flavour of the safe loader:

* only ``true`` / ``false`` are booleans (``yes``, ``no``, ``on``, ``off`` stay strings, so a
  condition ``value: [NO, ON]`` means what it says);
* ``10:00`` stays a string (YAML 1.1 would read a base-60 number), and so do dates;
* numbers with leading zeros (zip codes such as ``02134``) stay strings;
* a key repeated in one mapping is an error instead of silently keeping the last value.

JSON is YAML, so :func:`load_text` reads both. :func:`dump_yaml` / :func:`dump_json` write the
canonical form: defaults left out, keys in model field order.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import yaml

from leadflow.definitions.models import WorkflowDefinition
from leadflow.errors import InvalidInput

_DROPPED_TAGS = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:timestamp",
}
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$")
# JSON-style floats without a dot (1e5); YAML 1.1 reads them as strings.
_EXP_FLOAT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)[eE][-+]?[0-9]+$")


class _Loader(yaml.SafeLoader):
    """Safe loader with JSON-like scalars and duplicate-key detection."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # unhashable key: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


class _Dumper(yaml.SafeDumper):
    """Safe dumper that quotes every string :class:`_Loader` would read as something else."""


# Characters a plain or block scalar could lose or turn into line breaks: use double quotes.
_NEEDS_QUOTES = re.compile(
    "[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]"
)


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if _NEEDS_QUOTES.search(data):
        style: str | None = '"'
    else:
        style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _EXP_FLOAT, list("-+0123456789"))
_Dumper.add_implicit_resolver("tag:yaml.org,2002:float", _EXP_FLOAT, list("-+0123456789"))
_Dumper.add_representer(str, _str_representer)


def _yaml_error(exc: yaml.YAMLError, filename: str) -> InvalidInput:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if context and getattr(exc, "problem", None):
        problem = f"{problem} ({context})"
    if mark is None:
        return InvalidInput(f"invalid YAML in {filename}: {problem}")
    return InvalidInput(
        f"invalid YAML in {filename} at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    )


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")  # let the YAML parser report where
    return out


def load_text(text: str, *, filename: str = "<text>") -> Any:
    """Parse YAML (or JSON) ``text``; syntax errors raise :class:`InvalidInput` with the place.

    Text that looks like JSON is read as JSON first (the YAML reader refuses some characters
    JSON allows); if that fails it is read as YAML, whose errors name line and column.
    """
    if text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text, object_pairs_hook=_json_pairs)
        except (ValueError, RecursionError):
            pass
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, filename) from exc
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. absurd numbers
        raise InvalidInput(f"invalid YAML in {filename}: {exc}") from exc


def load_file(path: str | os.PathLike[str]) -> Any:
    """Read and parse a ``.yaml`` / ``.yml`` / ``.json`` file."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise InvalidInput(f"cannot read {name}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"cannot read {name}: not UTF-8 text ({exc.reason})") from exc
    return load_text(text, filename=name)


def canonical_data(defn: WorkflowDefinition) -> dict[str, Any]:
    """The definition as minimal JSON data: defaults left out, aliases (``not``) used."""
    return defn.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def dump_yaml(defn: WorkflowDefinition) -> str:
    """Canonical YAML: stable, minimal, keys in model field order."""
    return yaml.dump(
        canonical_data(defn),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def dump_json(defn: WorkflowDefinition) -> str:
    """Canonical JSON (2-space indent, trailing newline)."""
    return json.dumps(canonical_data(defn), indent=2, ensure_ascii=False) + "\n"
