"""Reading ``dt.yaml`` and ``asset.yaml``: never raises on bad files, reports problems.

Every manifest is user-controlled text, so YAML is only ever loaded through
``load_yaml``: a size limit before parsing, then the composed node graph is measured
(its size as if every alias were expanded, counted once per node) before anything is
built from it, so a few hundred bytes of nested aliases cannot take seconds and
gigabytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .fsutil import read_bytes_bounded

DT_MANIFEST = "dt.yaml"
ASSET_MANIFEST = "asset.yaml"
README = "README.md"
MAX_MANIFEST_BYTES = 1 << 20
MAX_YAML_NODES = 100_000  # values in the document with every alias expanded
MAX_YAML_TEXT = 4 * MAX_MANIFEST_BYTES  # characters of its scalars, expanded likewise
MAX_YAML_ALIASES = 1_000
MAX_YAML_DEPTH = 64  # nested collections, aliases included
# libyaml's loader where present: the index parses every manifest it meets
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YAMLLimitError(yaml.YAMLError):
    """A document refused before it is built: too large, too many aliases, too deep.

    ``line`` (1-based) is where the refused part starts, when known.
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line

    def __str__(self) -> str:
        return self.message


def _line(node: yaml.Node) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _chars(node: yaml.Node) -> int:
    return len(node.value) if isinstance(node, yaml.ScalarNode) else 0


def check_node_graph(root: yaml.Node | None) -> None:
    """Refuse a composed document whose expansion is too big, too deep or recursive.

    Aliased nodes are shared in the graph; each node is visited once and its expanded
    size (values and characters) and height are remembered, so the check costs what
    the text costs.
    """
    if root is None:
        return
    size: dict[int, int] = {}
    chars: dict[int, int] = {}
    height: dict[int, int] = {}
    entered: set[int] = set()
    edges = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            children = _children(node)
            edges += len(children)
            size[key] = 1 + sum(size[id(c)] for c in children)
            chars[key] = sum(chars[id(c)] for c in children) if children else _chars(node)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            entered.discard(key)
            if size[key] > MAX_YAML_NODES:
                raise YAMLLimitError(
                    f"aliases expand to more than {MAX_YAML_NODES} values", _line(node)
                )
            if chars[key] > MAX_YAML_TEXT:
                raise YAMLLimitError(
                    f"aliases expand to more than {MAX_YAML_TEXT} characters", _line(node)
                )
            if height[key] > MAX_YAML_DEPTH:
                raise YAMLLimitError(f"nested deeper than {MAX_YAML_DEPTH} levels", _line(node))
            continue
        if key in size:
            continue
        if key in entered:  # an alias inside the value it names
            raise YAMLLimitError("an alias refers to a value that contains itself", _line(node))
        entered.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)
    # every node is written once; every other use of it is an alias
    aliases = edges - (len(size) - 1)
    if aliases > MAX_YAML_ALIASES:
        raise YAMLLimitError(f"more than {MAX_YAML_ALIASES} aliases ({aliases})")


def _check_text(text: str) -> None:
    if len(text) > MAX_MANIFEST_BYTES:
        raise YAMLLimitError(f"larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as e:  # a lone surrogate, as JSON can carry
        raise YAMLLimitError(f"not valid Unicode text (at character {e.start})") from None
    if size > MAX_MANIFEST_BYTES:
        raise YAMLLimitError(f"larger than {MAX_MANIFEST_BYTES} bytes")


def compose_yaml(text: str) -> yaml.Node | None:
    """The checked node graph of a YAML document (for line numbers); never expands aliases.

    Raises ``yaml.YAMLError`` (``YAMLLimitError`` for a refused document).
    """
    return _load(text, construct=False)


def load_yaml(text: str) -> Any:
    """Parse untrusted YAML text safely into Python data.

    Raises ``yaml.YAMLError`` for bad YAML and ``YAMLLimitError`` (a ``YAMLError``) for
    a document that is too large, too deep, recursive or expands too much.
    """
    return _load(text, construct=True)


def parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """``load_yaml`` that also gives the checked node graph (for line numbers)."""
    return _load(text, construct=True, with_node=True)


def _load(text: str, construct: bool, with_node: bool = False) -> Any:
    _check_text(text)
    loader = SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
            check_node_graph(node)
            if not construct:
                return node
            data = None if node is None else loader.construct_document(node)
        except RecursionError:  # the pure-Python loader, without libyaml
            raise YAMLLimitError(f"nested deeper than {MAX_YAML_DEPTH} levels") from None
        return (data, node) if with_node else data
    finally:
        loader.dispose()


def yaml_problem(e: yaml.YAMLError) -> tuple[int | None, str]:
    """The line and message of a YAML failure, for a problem naming the file."""
    if isinstance(e, YAMLLimitError):
        return e.line, f"refused YAML: {e.message}"
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or "invalid YAML"
    return (mark.line + 1 if mark else None), f"invalid YAML: {problem}"


@dataclass
class Manifest:
    """A parsed manifest; ``data`` is empty when the file is missing or broken."""

    path: Path | None
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    text: str = field(default="", repr=False)  # what was parsed, for line numbers


def read_manifest(path: Path) -> Manifest:
    """Parse a YAML manifest into a mapping, turning every failure into a problem."""
    if path.is_symlink():
        return Manifest(path, problems=[f"{path.name}: a symbolic link, not read"])
    if not path.is_file():
        return Manifest(path=None)
    try:
        raw = read_bytes_bounded(path, MAX_MANIFEST_BYTES)
    except OSError:
        return Manifest(path, problems=[f"{path.name}: cannot be read"])
    if raw is None:
        return Manifest(path, problems=[f"{path.name}: larger than {MAX_MANIFEST_BYTES} bytes"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Manifest(path, problems=[f"{path.name}: not UTF-8 text"])
    try:
        data = load_yaml(text)
    except yaml.YAMLError as e:
        line, message = yaml_problem(e)
        if not isinstance(e, YAMLLimitError):
            message = "invalid YAML"
        where = f" line {line}" if line else ""
        return Manifest(path, problems=[f"{path.name}:{where} {message}"])
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return Manifest(path, problems=[f"{path.name}: top level must be a mapping"])
    return Manifest(path, data=data, text=text)


def readme_summary(folder: Path, limit: int = 500) -> str:
    """The first paragraph of a README that is not a heading, for a description."""
    readme = folder / README
    if readme.is_symlink() or not readme.is_file():
        return ""
    try:
        text = read_bytes_bounded(readme, 20000, truncate=True).decode("utf-8", "replace")
    except OSError:
        return ""
    for block in text.split("\n\n"):
        block = block.strip()
        if block and not block.startswith("#"):
            return " ".join(block.split())[:limit]
    return ""


def lifecycle_steps(data: dict[str, Any]) -> list[str]:
    """The lifecycle step names a DT declares, in their order."""
    lifecycle = data.get("lifecycle")
    if isinstance(lifecycle, dict):
        return [str(k) for k in lifecycle]
    return []
