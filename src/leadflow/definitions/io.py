"""Reading and writing workflow definitions as YAML or JSON.

YAML is read with a strict, JSON-like flavour of the safe loader:

* only ``true`` / ``false`` are booleans (``yes``, ``no``, ``on``, ``off`` stay strings, so a
  condition ``value: [NO, ON]`` means what it says);
* ``10:00`` stays a string (YAML 1.1 would read a base-60 number), and so do dates;
* numbers with leading zeros (zip codes such as ``02134``) stay strings;
* a key repeated in one mapping is an error instead of silently keeping the last value;
* a file is refused before it is parsed when it is larger than ``YamlLimits.max_bytes``, and
  before anything is built when it uses more than ``max_aliases`` aliases or its aliases
  would expand to more than ``max_nodes`` values (a "billion laughs" file of 500 bytes).

JSON is YAML, so :func:`load_text` reads both. :func:`dump_yaml` / :func:`dump_json` write the
canonical form: defaults left out, keys in model field order.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
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


MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """How large a workflow file may be (``LEADFLOW_MAX_DEFINITION_BYTES``), how many aliases
    it may use (``LEADFLOW_MAX_YAML_ALIASES``) and how many values its aliases may expand to
    (``LEADFLOW_MAX_YAML_NODES``)."""

    max_bytes: int = MIB
    max_aliases: int = 100
    max_nodes: int = 100_000


class _Loader(yaml.SafeLoader):
    """Safe loader with JSON-like scalars, duplicate-key detection and alias limits."""

    def __init__(self, stream: str, limits: YamlLimits) -> None:
        super().__init__(stream)
        self.limits = limits
        self.aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > self.limits.max_aliases:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"more than {self.limits.max_aliases} aliases (LEADFLOW_MAX_YAML_ALIASES)",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
        return super().compose_node(parent, index)

    def compose_document(self) -> yaml.Node | None:
        node = super().compose_document()
        if (
            self.aliases and node is not None
        ):  # only aliases can make the built value larger than the text
            _ExpandedSize(self.limits.max_nodes).of(node)
        return node

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


class _ExpandedSize:
    """Counts the values a node graph stands for once aliases are expanded, each distinct node
    once (memoized), and refuses a graph past ``limit`` or one that contains itself."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()

    def of(self, node: yaml.Node) -> int:
        key = id(node)
        known = self.sizes.get(key)
        if known is not None:
            return known
        if key in self.active:
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to a value that contains it", node.start_mark
            )
        self.active.add(key)
        size = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                size += self._add(self.of(child), size, node)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                size += self._add(self.of(k) + self.of(v), size, node)
        self.active.discard(key)
        self.sizes[key] = size
        return size

    def _add(self, more: int, size: int, node: yaml.Node) -> int:
        if size + more > self.limit:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"aliases expand to more than {self.limit} values (LEADFLOW_MAX_YAML_NODES)",
                node.start_mark,
            )
        return more


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


def _too_large(filename: str, size: int, limits: YamlLimits) -> InvalidInput:
    return InvalidInput(
        f"{filename} is {size} bytes, more than {limits.max_bytes} (LEADFLOW_MAX_DEFINITION_BYTES)"
    )


def load_text(text: str, *, filename: str = "<text>", limits: YamlLimits | None = None) -> Any:
    """Parse YAML (or JSON) ``text``; syntax errors raise :class:`InvalidInput` with the place.

    Text that looks like JSON is read as JSON first (the YAML reader refuses some characters
    JSON allows); if that fails it is read as YAML, whose errors name line and column. Every
    workflow file goes through here, so ``limits`` (default :class:`YamlLimits`) hold for all.
    """
    limits = limits or YamlLimits()
    if (
        len(text) > limits.max_bytes
        or len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
    ):
        raise _too_large(filename, len(text.encode("utf-8", "surrogatepass")), limits)
    if text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text, object_pairs_hook=_json_pairs)
        except (ValueError, RecursionError):
            pass
    loader = _Loader(text, limits)  # a SafeLoader
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, filename) from exc
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. absurd numbers
        raise InvalidInput(f"invalid YAML in {filename}: {exc}") from exc
    finally:
        loader.dispose()


def load_file(path: str | os.PathLike[str], *, limits: YamlLimits | None = None) -> Any:
    """Read and parse a ``.yaml`` / ``.yml`` / ``.json`` file (no more than ``limits.max_bytes``
    are read)."""
    name = os.fspath(path)
    limits = limits or YamlLimits()
    try:
        with open(name, "rb") as raw:
            data = raw.read(limits.max_bytes + 1)
        if len(data) > limits.max_bytes:
            raise _too_large(name, os.path.getsize(name), limits)
        text = data.decode("utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {name}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"cannot read {name}: not UTF-8 text ({exc.reason})") from exc
    return load_text(text, filename=name, limits=limits)


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
