"""The screens of a form: the session's pages plus one page per user-driven repeat.

`FormSession.pages()` gives a field-list group as one page and every other
question as a page of its own. Entry needs the same list with non-relevant
pages kept (so that page numbers stay put while relevance changes) and one
more page after the instances of every repeat the user controls (no
`repeat_count`): the place to add, remove and reorder instances, which must
exist even when there are no instances at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.compiled import FIELD, REPEAT, FieldDef
from app.engine.instance import Node
from app.engine.model import Group, Kind
from app.engine.session import FormSession

HIDDEN_KINDS = (Kind.CALCULATE, Kind.HIDDEN, Kind.METADATA)


@dataclass(frozen=True)
class EntryPage:
    nodes: tuple[Node, ...]
    group: Node | None = None  # the field-list group shown as this page
    container: Node | None = None  # repeat page: the node that holds the instances
    repeat: str | None = None  # repeat page: the repeat's name

    @property
    def is_repeat_page(self) -> bool:
        return self.repeat is not None

    def applies(self) -> bool:
        """Something on this page is relevant now."""
        if self.container is not None:
            return self.container.relevant
        return any(node.relevant for node in self.nodes)

    def key(self) -> str:
        """A stable name for the page across rebuilds (for restoring the position)."""
        if self.repeat is not None and self.container is not None:
            return f"repeat:{self.container.path_string()}/{self.repeat}"
        return self.nodes[0].path_string() if self.nodes else ""


def shown(node: Node) -> bool:
    definition: FieldDef = node.definition
    question = definition.question
    return question is not None and question.kind not in HIDDEN_KINDS


def user_repeat(definition: FieldDef) -> bool:
    return definition.role == REPEAT and definition.repeat_count is None


def entry_pages(session: FormSession) -> list[EntryPage]:
    pages: list[EntryPage] = []
    _collect(session.root, pages)
    return pages


def _collect(container: Node, pages: list[EntryPage]) -> None:
    definition: FieldDef = container.definition
    for child_def in definition.children:
        nodes = container.by_name.get(child_def.name, [])
        if child_def.role == FIELD:
            pages.extend(EntryPage((node,)) for node in nodes if shown(node))
            continue
        element = child_def.element
        assert isinstance(element, Group)
        if element.bodyless:
            continue
        for node in nodes:
            if element.field_list:
                items = tuple(
                    leaf
                    for leaf in node.iter()[1:]
                    if isinstance(leaf.definition, FieldDef)
                    and leaf.definition.role == FIELD
                    and shown(leaf)
                )
                if items:
                    pages.append(EntryPage(items, group=node))
            else:
                _collect(node, pages)
        if user_repeat(child_def):
            pages.append(EntryPage((), container=container, repeat=child_def.name))


def repeat_instance_of(node: Node) -> Node | None:
    """The innermost repeat instance that holds `node` (or is `node`)."""
    current: Node | None = node
    while current is not None:
        definition = current.definition
        if isinstance(definition, FieldDef) and definition.role == REPEAT:
            return current
        current = current.parent
    return None
