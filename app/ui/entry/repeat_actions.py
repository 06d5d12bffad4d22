"""Adding, removing and moving repeat instances from a `FormView`.

The session does the work (`add_repeat`, `remove_repeat`, `move_repeat`);
this keeps the view in step afterwards: a new page list, the same place when
it still exists, and the focus where the enumerator expects it (the new or
moved instance, or the list of instances after a removal). Removing asks
first (`repeats.confirm_remove`). `RepeatBar` and `RepeatPage` call these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.errors import AnswerError
from app.engine.instance import Node
from app.engine.session import FormSession
from app.ui.entry.navigation import within
from app.ui.entry.pages import repeat_instance_of
from app.ui.entry.repeats import confirm_remove, repeat_label

if TYPE_CHECKING:
    from app.ui.entry.form_view import FormView


class RepeatController:
    """Implements `repeats.RepeatActions` for one view."""

    def __init__(self, view: FormView) -> None:
        self.view = view

    @property
    def session(self) -> FormSession:
        return self.view.session

    def add_repeat(self, container: Node, name: str, after: Node | None = None) -> None:
        view = self.view
        try:
            instance = self.session.add_repeat(container, name, after=after)
        except AnswerError as error:
            view.set_status(error.message)
            return
        view.structure_changed()
        view.sig_answer_changed.emit()
        self.open_instance(instance)

    def remove_repeat(self, instance: Node) -> None:
        view = self.view
        container = instance.parent
        if container is None:
            return
        label = f"{repeat_label(self.session, container, instance.name)} {instance.position()}"
        if not confirm_remove(view, label):
            return
        siblings = container.by_name.get(instance.name, [])
        position = siblings.index(instance)
        try:
            self.session.remove_repeat(instance)
        except AnswerError as error:
            view.set_status(error.message)
            return
        view.structure_changed()
        view.sig_answer_changed.emit()
        remaining = container.by_name.get(instance.name, [])
        self.show_repeat_page(
            container,
            instance.name,
            select=(remaining[min(position, len(remaining) - 1)] if remaining else None),
        )

    def move_repeat(self, instance: Node, step: int) -> None:
        view = self.view
        container = instance.parent
        if container is None:
            return
        target = instance.position() - 1 + step
        try:
            self.session.move_repeat(instance, target)
        except AnswerError as error:
            view.set_status(error.message)
            return
        on_repeat_page = view.pages[view.current].is_repeat_page
        view.structure_changed()
        view.sig_answer_changed.emit()
        if on_repeat_page:
            self.show_repeat_page(container, instance.name, select=instance)
        else:
            self.open_instance(instance)

    def open_instance(self, instance: Node) -> None:
        view = self.view
        for index, page in enumerate(view.pages):
            if page.nodes and any(within(n, instance) for n in page.nodes):
                view.show_page(index)
                return

    def show_repeat_page(self, container: Node, name: str, select: Node | None) -> None:
        view = self.view
        for index, page in enumerate(view.pages):
            if page.container is container and page.repeat == name:
                view.show_page(index, focus=None)
                view.builder.ensure_built(index)
                for repeat_page in view.repeat_pages:
                    if repeat_page.container is container and repeat_page.name == name:
                        repeat_page.select(select)
                        repeat_page.focus_first()
                return

    # -- the keyboard shortcuts act on the repeat at the focus -------------------------------
    def repeat_here(self) -> tuple[Node, str, Node | None] | None:
        """(container, name, instance) of the repeat at the focus or on this page."""
        view = self.view
        page = view.pages[view.current]
        if page.is_repeat_page and page.container is not None and page.repeat is not None:
            view.builder.ensure_built(view.current)
            chosen = None
            for repeat_page in view.repeat_pages:
                if repeat_page.container is page.container and repeat_page.name == page.repeat:
                    chosen = repeat_page.current_instance()
            return page.container, page.repeat, chosen
        anchor = view.current_question or (page.nodes[0] if page.nodes else None)
        instance = repeat_instance_of(anchor) if anchor is not None else None
        if instance is None or instance.parent is None:
            return None
        return instance.parent, instance.name, instance

    def add_here(self) -> None:
        here = self.repeat_here()
        if here is not None:
            container, name, instance = here
            siblings = container.by_name.get(name, [])
            self.add_repeat(container, name, after=instance or (siblings[-1] if siblings else None))

    def remove_here(self) -> None:
        here = self.repeat_here()
        if here is not None and here[2] is not None:
            self.remove_repeat(here[2])

    def move_here(self, step: int) -> None:
        here = self.repeat_here()
        if here is not None and here[2] is not None:
            self.move_repeat(here[2], step)
