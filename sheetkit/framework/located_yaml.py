"""Reading a YAML file into plain data while remembering the line of every key.

:class:`LocatedReader` is the base of sheetkit's file checkers: it turns YAML into Python
values, records the line where each path (``sections[2].items[0].title``) starts, and offers
typed accessors that record a located finding, instead of raising, when a value has the
wrong form, so one bad key never hides the next.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from sheetkit.common.findings import Finding

CELL_LIMIT = 32_767
# libyaml's parser where PyYAML was built with it (its wheels are): the same nodes and line marks,
# several times faster than the pure-Python parser, which stands in where it is missing
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _described(text: str, error: yaml.YAMLError) -> yaml.YAMLError:
    """The pure-Python parser's account of a file libyaml could not parse: it names what it found
    where ("expected ',' or ']', but got ':'"), where libyaml says only what it did not find."""
    if _COMPOSER is yaml.SafeLoader:
        return error
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as described:
        return described
    return error


@dataclass
class LocatedReader:
    file: str
    findings: list[Finding] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    keys: ClassVar[dict[str, set[str]]] = {}  # the keys each kind of mapping may hold
    required: ClassVar[dict[str, tuple[str, ...]]] = {}  # the keys each kind of mapping must hold
    _scalars: Any = field(default=None, init=False, repr=False)  # turns scalar nodes into values

    def _read(self) -> dict | None:
        """The file's top-level mapping, or None after recording why it cannot be read."""
        try:
            text = Path(self.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self._add("yaml-invalid", "", f"cannot read the file ({exc}); save it as UTF-8 text")
            return None
        try:
            node = yaml.compose(text, Loader=_COMPOSER)
            self._scalars = yaml.SafeLoader("")
            data = self._to_python(node, "")
        except yaml.YAMLError as exc:
            exc = _described(text, exc)
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else None
            problem = getattr(exc, "problem", None) or str(exc)
            self.findings.append(Finding("yaml-invalid", f"invalid YAML: {problem}; check this line and the one before it for unclosed brackets or quotes, a colon inside unquoted text, or wrong indentation", file=self.file, line=line))
            return None
        if not isinstance(data, dict):
            self._add("value-invalid", "", "the file must be a mapping with keys such as id, title and sections")
            return None
        return data

    # -- YAML nodes to data, remembering where each path starts --------------------------
    def _to_python(self, node: yaml.Node | None, path: str) -> Any:
        if node is None:
            return None
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                self.lines[child] = key_node.start_mark.line + 1
                if key in result:
                    self._add("id-duplicate", child, f"the key '{key}' appears twice in the same mapping")
                result[key] = self._to_python(value_node, child)
                self.lines[child] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self._to_python(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        return self._scalars.construct_object(node, deep=True)

    def _add(self, code: str, path: str, message: str) -> None:
        line = self._line(path)
        self.findings.append(Finding(code, message, file=self.file, line=line, path=path))

    def _line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rsplit(".", 1)[0] if "." in path else path.rsplit("[", 1)[0] if "[" in path else ""
        return self.lines.get("")

    # -- structure ------------------------------------------------------------------------
    def _mapping(self, data: Any, path: str, kind: str) -> dict | None:
        if not isinstance(data, dict):
            self._add("value-invalid", path, f"expected a mapping of {kind} keys, found {type(data).__name__}")
            return None
        allowed = self.keys[kind]
        for key in data:
            if key not in allowed:
                near = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
                hint = f"; did you mean '{near[0]}'?" if near else f"; allowed keys: {', '.join(sorted(allowed))}"
                self._add("key-unknown", join_path(path, key), f"unknown key '{key}'{hint}")
        for key in self.required.get(kind, ()):
            if key not in data or data[key] is None or data[key] == "":
                self._add("key-missing", path, f"missing required key '{key}' in {kind.replace('_', ' ')}")
        return data

    def _text(self, data: dict, key: str, path: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self._add("value-invalid", join_path(path, key), f"'{key}' must be text")
            return ""
        text = str(value).strip()
        if len(text) > CELL_LIMIT:
            self._add("value-invalid", join_path(path, key), f"'{key}' is {len(text)} characters; a cell holds {CELL_LIMIT}")
        return text

    def _list(self, data: dict, key: str, path: str) -> list:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self._add("value-invalid", join_path(path, key), f"'{key}' must be a list")
            return []
        return value

    def _int(self, data: dict, key: str, path: str) -> int:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            if value is not None:
                self._add("value-invalid", join_path(path, key), f"'{key}' must be a whole number, found {value!r}")
            return 0
        return value

    def _texts(self, data: dict, key: str, path: str) -> tuple[str, ...]:
        out = []
        for i, value in enumerate(self._list(data, key, path)):
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                self._add("value-invalid", f"{join_path(path, key)}[{i}]", "each entry must be text")
                continue
            out.append(str(value).strip())
        return tuple(out)



def join_path(path: str, key: str) -> str:
    """A child path: join_path("sections[0]", "title") is "sections[0].title"."""
    return f"{path}.{key}" if path else key
