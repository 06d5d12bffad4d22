"""Moving around a form: pages, Enter / Shift+Enter, Tab across pages, and jumps.

Everything here goes by page order (`FormView.pages`), never by the order in
which widgets happened to be built: scroll mode builds pages out of turn
(see `page_host`), and a page a move needs is built on the spot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.core.i18n import _
from app.engine.instance import Node
from app.engine.model import NON_INPUT_KINDS
from app.ui.entry.pages import EntryPage
from app.ui.entry.widgets.base import QuestionWidget

if TYPE_CHECKING:
    from app.ui.entry.form_view import FormView


def last_in_chain(ancestor: QWidget) -> QWidget | None:
    """The last widget inside `ancestor` in its window's Tab chain that can take focus."""
    window = ancestor.window()
    widget = window.previousInFocusChain()
    while widget is not None and widget is not window:
        if widget.focusPolicy() != Qt.FocusPolicy.NoFocus and ancestor.isAncestorOf(widget):
            return widget
        widget = widget.previousInFocusChain()
    return None


def tab_stop(widget: QWidget) -> bool:
    """Whether Tab can stop on `widget` now."""
    return (
        widget.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus
        and widget.isEnabled()
        and widget.isVisible()
    )


def within(node: Node, ancestor: Node) -> bool:
    current: Node | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


class Navigator:
    """The moves of one `FormView`; the view keeps the state (pages, current page, focus)."""

    def __init__(self, view: FormView) -> None:
        self.view = view
        self._pages_seen: list[EntryPage] | None = None
        self._page_of: dict[Node, int] = {}
        # What comes after the page buttons in reading order (the interview's bookmarks).
        self.after_buttons: list[QWidget] = []

    # -- where things are --------------------------------------------------------------
    def applying(self, start: int, step: int) -> int:
        """The first page from `start` (going by `step`) that has something relevant."""
        pages = self.view.pages
        index = start
        while 0 <= index < len(pages):
            if pages[index].applies():
                return index
            index += step
        return max(0, min(start, len(pages) - 1))

    def page_index_of(self, node: Node) -> int:
        pages = self.view.pages
        if self._pages_seen is not pages:  # a new page list (repeats changed)
            self._pages_seen = pages
            self._page_of = {n: i for i, page in enumerate(pages) for n in page.nodes}
            for index, page in enumerate(pages):
                if page.group is not None:
                    self._page_of.setdefault(page.group, index)
        found = self._page_of.get(node)
        if found is not None:
            return found
        for index, page in enumerate(pages):
            if any(within(n, node) for n in page.nodes) or page.container is node:
                return index
        return -1

    def candidates(self, index: int) -> list[QuestionWidget]:
        """The questions on page `index` that can take the focus now, in page order."""
        view = self.view
        view.builder.ensure_built(index)
        widgets = view.widgets
        return [
            widgets[n]
            for n in view.pages[index].nodes
            if n in widgets and n.relevant and widgets[n].editors()
        ]

    def _takes_focus(self, index: int) -> bool:
        page = self.view.pages[index]
        return page.applies() and (page.is_repeat_page or bool(self.candidates(index)))

    def _next_stop(self, start: int, step: int) -> int | None:
        """The next page after `start` (by `step`) where the focus can land."""
        index = start + step
        while 0 <= index < len(self.view.pages):
            if self._takes_focus(index):
                return index
            index += step
        return None

    # -- focus ---------------------------------------------------------------------------
    def focus_page(self, index: int, last: bool = False) -> None:
        view = self.view
        page = view.pages[index]
        view.builder.ensure_built(index)
        if page.is_repeat_page:
            for repeat_page in view.repeat_pages:
                if repeat_page.container is page.container and repeat_page.name == page.repeat:
                    repeat_page.focus_first()
                    self.ensure_visible(repeat_page)
            return
        candidates = self.candidates(index)
        if not candidates:
            view.next_button.setFocus()
            host = view.builder.host
            if view.page_mode == "scroll" and host is not None and index in host.frames:
                self.ensure_visible(host.frames[index])  # a page of notes: show it all the same
            return
        target = candidates[-1] if last else candidates[0]
        target.focus_editor()
        self.ensure_visible(target)

    def ensure_visible(self, widget: QWidget) -> None:
        scroller = self.view.scroller

        def scroll() -> None:
            if shiboken6.isValid(widget) and shiboken6.isValid(scroller):
                # Pages built since the request may not be laid out yet: lay out first.
                QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
                scroller.ensureWidgetVisible(widget, 0, 24)

        QTimer.singleShot(0, scroll)

    def focus_current_question(self) -> None:
        view = self.view
        node = view.current_question
        if node is not None and node in view.widgets:
            view.widgets[node].focus_editor()
        elif view.pages:
            self.focus_page(view.current)

    def focus_index(self) -> None:
        panel = self.view.index_panel
        if not panel.isVisible():
            panel.show()
        if self.view.current_question is not None:
            panel.show_node(self.view.current_question)
        panel.focus_tree()

    # -- pages ---------------------------------------------------------------------------
    def next_page(self) -> None:
        view = self.view
        view.commit_focused()
        for index in range(view.current + 1, len(view.pages)):
            if view.pages[index].applies():
                view.show_page(index)
                return
        view.set_status(_("This is the last page. Ctrl+Shift+F checks the form and finalises."))

    def previous_page(self, focus: str = "first") -> None:
        view = self.view
        view.commit_focused()
        for index in range(view.current - 1, -1, -1):
            if view.pages[index].applies():
                view.show_page(index, focus=focus)
                return
        view.set_status(_("This is the first page."))

    def advance(self, widget: QuestionWidget, backwards: bool = False) -> None:
        """Enter: the next relevant question on this page, else on the next page."""
        view = self.view
        node = widget.node
        if not backwards and node.value != "" and not node.constraint_ok:
            # Stay with the message in view: on a one-question page Enter would turn
            # the page before anyone read it. PgDn still goes on (fix it later).
            widget.refresh_message()
            widget.focus_editor()
            view.set_status(_("Correct this answer first, or press PgDn to go on anyway."))
            return
        index = self.page_index_of(node)
        here = self.candidates(index) if index >= 0 else []
        if widget in here:
            position = here.index(widget) + (-1 if backwards else 1)
            if 0 <= position < len(here):
                here[position].focus_editor()
                return
        if view.page_mode == "scroll" and index >= 0:
            # One long page: go on to the next question that can take the focus.
            view.commit_focused()
            step = -1 if backwards else 1
            target = self._next_stop(index, step)
            if target is not None:
                view.show_page(target, focus="last" if backwards else "first")
            elif backwards:
                view.set_status(_("This is the first page."))
            else:
                view.set_status(
                    _("This is the last page. Ctrl+Shift+F checks the form and finalises.")
                )
            return
        if backwards:
            self.previous_page(focus="last")
        else:
            self.next_page()

    # -- Tab -----------------------------------------------------------------------------
    @property
    def page_buttons(self) -> list[QWidget]:
        """The buttons under the pages, in reading order."""
        view = self.view
        return [view.previous_button, view.next_button, view.finalise_button]

    def order_tabs(self) -> None:
        """Put the page buttons after the pages in the Tab chain.

        Qt puts a widget at the end of its window's Tab chain when it gets there, and
        pages are built after the buttons (in pages mode, again at every page turn):
        Tab from a page's last question went past its buttons to the screen's header.
        Called whenever widgets were added to the pages."""
        host = self.view.builder.host
        if host is None:
            return
        last = last_in_chain(host)
        if last is None:
            return  # nothing in the pages takes the focus: the buttons are where they were
        for button in [*self.page_buttons, *self.after_buttons]:
            QWidget.setTabOrder(last, button)
            last = button

    def tab(self, forward: bool, qt_move: Callable[[], bool]) -> bool:
        """Tab / Shift+Tab in scroll mode: Qt's focus chain inside a page, page order across,
        and past the last page (or the first) out to the page buttons (or what is before
        the pages)."""
        view = self.view
        host = view.builder.host
        start = host.page_at(QApplication.focusWidget()) if host is not None else None
        if host is None or start is None:
            return qt_move()
        view.focus_quiet = True  # no paradata for a stop on the way
        try:
            moved = qt_move()
        finally:
            view.focus_quiet = False
        landed = host.page_at(QApplication.focusWidget())
        if landed != start:
            target = self._next_stop(start, 1 if forward else -1)
            if target is not None and landed != target:
                self.focus_page(target, last=not forward)
                moved = True
            elif target is None and landed is not None:
                # Out of the pages, but Qt's chain led into a page built later.
                moved = self._leave_pages(forward) or moved
        view.focus_settled()
        return moved

    def _leave_pages(self, forward: bool) -> bool:
        """Tab past the last page: the first page button; Shift+Tab before the first page:
        the widget before the pages in the Tab chain."""
        host = self.view.builder.host
        if host is None:
            return False
        if forward:
            candidates = self.page_buttons
        else:
            candidates = []
            widget = host.previousInFocusChain()
            window = host.window()
            while widget is not None and widget is not window and not candidates:
                if tab_stop(widget) and not host.isAncestorOf(widget):
                    candidates.append(widget)
                widget = widget.previousInFocusChain()
        for widget in candidates:
            if tab_stop(widget):
                widget.setFocus(
                    Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
                )
                return True
        return False

    def tab_from_buttons(self, forward: bool) -> bool:
        """Shift+Tab from the first page button in scroll mode: back to the last question
        of the page being read (the Tab chain holds the pages in the order they were built,
        not page order). False: Qt's chain is right (always, in pages mode)."""
        view = self.view
        if forward or view.page_mode != "scroll" or not view.pages:
            return False
        buttons = [b for b in self.page_buttons if tab_stop(b)]
        if not buttons or QApplication.focusWidget() is not buttons[0]:
            return False
        current = view.current
        target = current if self._takes_focus(current) else self._next_stop(current, -1)
        if target is None:
            return False
        self.focus_page(target, last=True)
        return True

    # -- jumps ---------------------------------------------------------------------------
    def go_to(self, node: Node) -> None:
        """Show the page of `node` and put the focus on it."""
        view = self.view
        index = self.page_index_of(node)
        if index < 0:
            return
        if index != view.current or (view.page_mode == "pages" and node not in view.widgets):
            view.show_page(index, focus=None)
        view.builder.ensure_built(index)
        widget = view.widgets.get(node)
        if widget is not None and node.relevant:
            widget.focus_editor()
            self.ensure_visible(widget)
        else:
            self.focus_page(index)
        view.update_header()

    def focus_first_invalid(self) -> None:
        view = self.view
        view.commit_focused()
        problems = view.session.problems()
        view.mark_checked()
        if not problems:
            view.set_status(_("Nothing needs correcting."))
            return
        self.go_to(problems[0].node)
        view.set_status(problems[0].message)

    def next_unanswered(self) -> None:
        """The next relevant question without an answer, after the current one (wrapping)."""
        view = self.view
        view.commit_focused()
        sequence = [n for page in view.pages for n in page.nodes]
        start = 0
        if view.current_question is not None and view.current_question in sequence:
            start = sequence.index(view.current_question) + 1
        else:
            first = next((n for p in view.pages[view.current :] for n in p.nodes), None)
            start = sequence.index(first) if first is not None else 0
        for node in sequence[start:] + sequence[:start]:
            question = node.definition.question
            if (
                node.relevant
                and node.value == ""
                and not node.readonly
                and question is not None
                and question.kind not in NON_INPUT_KINDS
            ):
                self.go_to(node)
                return
        view.set_status(_("Every question that applies has an answer."))
