"""The data instance: a tree of nodes that expressions read and sessions fill.

One `Node` per group, repeat instance and field of the primary instance, and
per element of a secondary instance (choice lists as `instance('list')`).
Field values are kept as their XForm text (what OpenRosa XML would carry);
`typed_value` turns them into what ODK's evaluator sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

# Set by `app.engine.xpath.values` to avoid an import cycle; maps a data type
# name to a function from stored text to an XPath value.
_unpackers: dict[str, Any] = {}


_NO_ATTRS: Mapping[str, str] = MappingProxyType({})


class Node:
    """An element in an instance tree."""

    __slots__ = (
        "attrs",
        "by_name",
        "children",
        "choices",
        "constraint_ok",
        "data_type",
        "definition",
        "depth",
        "name",
        "parent",
        "readonly",
        "relevant",
        "required",
        "value",
    )

    def __init__(
        self,
        name: str,
        parent: Node | None = None,
        value: str = "",
        definition: Any = None,
        data_type: str = "string",
    ) -> None:
        self.name = name
        self.parent = parent
        self.value = value
        self.definition = definition
        self.data_type = data_type
        self.children: list[Node] = []
        self.by_name: dict[str, list[Node]] = {}
        self.attrs: Mapping[str, str] = _NO_ATTRS  # only secondary instances have any
        self.relevant = True  # effective: own relevance and every ancestor's
        # Form state kept by the session for primary-instance fields.
        self.required = False
        self.readonly = False
        self.constraint_ok = True
        self.choices: tuple[str, ...] | None = None  # after choice_filter; None = all
        self.depth: int = 0 if parent is None else parent.depth + 1

    def __repr__(self) -> str:
        return f"<Node {self.path_string()} {self.value!r}>"

    # -- structure -----------------------------------------------------------------
    def append(self, child: Node) -> Node:
        child.parent = self
        child.depth = self.depth + 1
        self.children.append(child)
        self.by_name.setdefault(child.name, []).append(child)
        return child

    def insert_after(self, child: Node, anchor: Node | None) -> Node:
        """Insert `child` after `anchor` (or first among its same-name siblings)."""
        child.parent = self
        child.depth = self.depth + 1
        siblings = self.by_name.setdefault(child.name, [])
        if anchor is None:
            index = self.children.index(siblings[0]) if siblings else len(self.children)
            self.children.insert(index, child)
            siblings.insert(0, child)
        else:
            self.children.insert(self.children.index(anchor) + 1, child)
            siblings.insert(siblings.index(anchor) + 1, child)
        return child

    def remove(self, child: Node) -> None:
        self.children.remove(child)
        self.by_name[child.name].remove(child)
        child.parent = None

    def move(self, child: Node, new_index: int) -> None:
        """Move `child` to position `new_index` (0-based) among its same-name siblings."""
        siblings = self.by_name[child.name]
        if not siblings:
            return
        slots = [self.children.index(s) for s in siblings]
        siblings.remove(child)
        siblings.insert(new_index, child)
        for slot, sibling in zip(slots, siblings, strict=True):
            self.children[slot] = sibling

    def child(self, name: str) -> Node | None:
        found = self.by_name.get(name)
        return found[0] if found else None

    def position(self) -> int:
        """1-based position among same-name siblings (the repeat instance number)."""
        if self.parent is None:
            return 1
        return self.parent.by_name[self.name].index(self) + 1

    def ancestor_at(self, depth: int) -> Node:
        node = self
        while node.depth > depth and node.parent is not None:
            node = node.parent
        return node

    def path_string(self) -> str:
        parts: list[str] = []
        node: Node | None = self
        while node is not None:
            siblings = node.parent.by_name.get(node.name, []) if node.parent else []
            parts.append(f"{node.name}[{node.position()}]" if len(siblings) > 1 else node.name)
            node = node.parent
        return "/" + "/".join(reversed(parts))

    def iter(self) -> list[Node]:
        """This node and every descendant, document order."""
        out: list[Node] = []
        stack = [self]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out

    # -- values --------------------------------------------------------------------
    def typed_value(self) -> Any:
        """The value as ODK's evaluator sees it ('' when not relevant or empty)."""
        if not self.relevant or self.value == "":
            return ""
        unpack = _unpackers.get(self.data_type)
        return unpack(self.value) if unpack is not None else self.value

    def string_value(self) -> str:
        """XPath string-value: the text of a leaf, the concatenated text of a group."""
        if not self.children:
            return self.value if self.relevant else ""
        return "".join(child.string_value() for child in self.children)


def build_secondary(name: str, rows: list[dict[str, str]]) -> Node:
    """A secondary instance `instance(name)/root/item/<column>` from rows of columns."""
    instance = Node("instance")
    instance.attrs = {"id": name}
    root = instance.append(Node("root"))
    for row in rows:
        item = root.append(Node("item"))
        for key, value in row.items():
            item.append(Node(key, value=value))
    return instance
