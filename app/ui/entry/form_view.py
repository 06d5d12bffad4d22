"""FormView: the pages of a form being filled, an index, and keyboard navigation.

The view is a thin layer over a `Filling`: widgets hand answers to
`answer()`, which calls `FormSession.set_value` and redraws only the widgets
named in the returned `Changes`. The view records question enter / leave
paradata in the Filling itself; its signals tell the shell when to autosave
(`sig_answer_changed`) and where the user is.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import AnswerError
from app.core.i18n import _, translator
from app.core.text import with_breaks
from app.engine.instance import Node
from app.engine.model import NON_INPUT_KINDS
from app.engine.session import Changes
from app.fieldwork.filling import Filling
from app.ui.entry import keys
from app.ui.entry.attachments import StoredFile, read_stored, stored_size
from app.ui.entry.index_panel import IndexPanel
from app.ui.entry.pages import EntryPage, entry_pages, repeat_instance_of
from app.ui.entry.repeats import RepeatBar, RepeatPage, confirm_remove, repeat_label
from app.ui.entry.summary import SummaryDialog
from app.ui.entry.widgets.base import QuestionWidget, wrapped_label
from app.ui.entry.widgets.factory import make_widget
from app.ui.entry.widgets.grid import GridWidget, scale_runs
from app.ui.entry.widgets.media import MediaWidget
from app.ui.entry.workers import run_async

log = logging.getLogger(__name__)

PAGE_MODES = ("pages", "scroll")

STYLE = """
QLabel#questionHint, QLabel#questionGuidance { color: #4a4a4a; }
QLabel#questionMessage { color: #b00020; }
QLabel#pageTitle { font-weight: bold; }
QLabel#breadcrumb, QLabel#pageCounter { color: #555555; }
QFrame#repeatBar { background: #eef3fb; border: 1px solid #c5d3ea; border-radius: 3px; }
QFrame#scale[focused="true"] { background: #dbe8fb; border-radius: 3px; }
QFrame#gridRow { border-bottom: 1px solid #e4e4e4; }
QFrame#pageSection { border-top: 2px solid #c5d3ea; }
"""


def listen_for_language(target: QWidget, method: str) -> None:
    """Call `target.method()` on a UI language switch while `target` exists."""
    ref = weakref.ref(target)

    def listener(_lang: str) -> None:
        widget = ref()
        if widget is not None and shiboken6.isValid(widget):
            getattr(widget, method)()

    translator.on_change(listener)


class FormView(QWidget):
    sig_answer_changed = Signal()  # an answer or a repeat changed: time to autosave
    sig_question_entered = Signal(object)  # Node
    sig_question_left = Signal(object)  # Node
    sig_finalise_requested = Signal()  # the summary found no problem and the user confirmed
    sig_page_changed = Signal(int)
    sig_bookmarks_changed = Signal()

    def __init__(
        self,
        filling: Filling,
        *,
        page_mode: str = "pages",
        parent: QWidget | None = None,
        note_mode: bool = False,
    ) -> None:
        super().__init__(parent)
        if page_mode not in PAGE_MODES:
            raise ValueError(f"page_mode must be one of {PAGE_MODES}, not {page_mode!r}")
        self.filling = filling
        self.session = filling.session
        self.page_mode = page_mode
        self.note_mode = note_mode
        self.pages: list[EntryPage] = entry_pages(self.session)
        self.current = 0
        self.widgets: dict[Node, QuestionWidget] = {}
        self.order: list[QuestionWidget] = []  # question widgets in screen order
        self.repeat_bars: list[RepeatBar] = []
        self.repeat_pages: list[RepeatPage] = []
        self.grids: list[GridWidget] = []
        self.section_titles: list[tuple[QLabel, EntryPage]] = []
        self.bookmarks: list[str] = []
        self.checked = False  # after a finalise check, required messages show everywhere
        self.current_question: Node | None = None
        self.summary: SummaryDialog | None = None
        self.setStyleSheet(STYLE)
        self._build()
        self.shortcuts = keys.install(
            self,
            {
                "next_page": self.next_page,
                "previous_page": self.previous_page,
                "index": self.focus_index,
                "first_invalid": self.focus_first_invalid,
                "next_unanswered": self.next_unanswered,
                "finalise": self.request_finalise,
                "bookmark": self.toggle_bookmark,
                "first_page": lambda: self.show_page(self._applying(0, 1), focus="first"),
                "last_page": lambda: self.show_page(
                    self._applying(len(self.pages) - 1, -1), focus="first"
                ),
                "add_repeat": self.add_repeat_here,
                "remove_repeat": self.remove_repeat_here,
                "move_repeat_up": lambda: self.move_repeat_here(-1),
                "move_repeat_down": lambda: self.move_repeat_here(1),
                "keys_help": self.show_keys_help,
            },
        )
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        listen_for_language(self, "retranslate")
        self.restore_ui_state(filling.ui)
        if not self.widgets and not self.repeat_pages:
            self.show_page(self._applying(0, 1), focus=None)

    # -- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(self.splitter)
        self.index_panel = IndexPanel(self.session)
        self.index_panel.sig_node_chosen.connect(self.go_to)
        self.index_panel.sig_closed.connect(self.focus_current_question)
        self.index_panel.model.bookmarks = set(self.bookmarks)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(8, 4, 8, 4)
        head = QHBoxLayout()
        self.breadcrumb = QLabel()
        self.breadcrumb.setObjectName("breadcrumb")
        self.breadcrumb.setWordWrap(True)
        self.page_counter = QLabel()
        self.page_counter.setObjectName("pageCounter")
        head.addWidget(self.breadcrumb, 1)
        head.addWidget(self.page_counter, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(head)
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        column.addWidget(self.scroller, 1)
        self.status = QLabel()
        self.status.setObjectName("questionHint")
        self.status.setWordWrap(True)
        column.addWidget(self.status)
        nav = QHBoxLayout()
        self.previous_button = QPushButton()
        self.next_button = QPushButton()
        self.finalise_button = QPushButton()
        self.previous_button.clicked.connect(self.previous_page)
        self.next_button.clicked.connect(self.next_page)
        self.finalise_button.clicked.connect(self.request_finalise)
        nav.addWidget(self.previous_button)
        nav.addWidget(self.next_button)
        nav.addStretch(1)
        nav.addWidget(self.finalise_button)
        column.addLayout(nav)
        self.splitter.addWidget(self.index_panel)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 1000])
        self.retranslate_chrome()

    def retranslate_chrome(self) -> None:
        self.previous_button.setText(_("Previous (PgUp)"))
        self.next_button.setText(_("Next (PgDn)"))
        self.finalise_button.setText(_("Check and finalise…"))
        self.index_panel.retranslate()
        self._update_counter()

    # -- building pages ----------------------------------------------------------------
    def _clear(self) -> None:
        self.widgets.clear()
        self.order.clear()
        self.repeat_bars.clear()
        self.repeat_pages.clear()
        self.grids.clear()
        self.section_titles.clear()

    def _build_page(self, page: EntryPage, host: QVBoxLayout) -> None:
        if page.is_repeat_page:
            assert page.container is not None and page.repeat is not None
            repeat_page = RepeatPage(self, page.container, page.repeat)
            host.addWidget(repeat_page)
            self.repeat_pages.append(repeat_page)
            return
        title = wrapped_label("pageTitle")
        host.addWidget(title)
        self.section_titles.append((title, page))
        instance = repeat_instance_of(page.nodes[0])
        if instance is not None:
            bar = RepeatBar(self, instance)
            host.addWidget(bar)
            self.repeat_bars.append(bar)
        for run in scale_runs(list(page.nodes)):
            if len(run) > 1:
                grid = GridWidget(self, run)
                host.addWidget(grid)
                self.grids.append(grid)
                for row in grid.rows:
                    self._register(row)
            else:
                widget = make_widget(self, run[0])
                host.addWidget(widget)
                self._register(widget)
        self._retitle(title, page)

    def _register(self, widget: QuestionWidget) -> None:
        if self.checked:
            widget.show_required = True
            widget.refresh_message()
        widget.set_bookmarked(self.session.ref(widget.node) in self.bookmarks)
        self.widgets[widget.node] = widget
        self.order.append(widget)

    def _retitle(self, title: QLabel, page: EntryPage) -> None:
        text = ""
        if page.group is not None:
            text = " ".join(self.session.text(page.group, "label").split())
            if text and repeat_instance_of(page.group) is page.group:
                text = f"{text} {page.group.position()}"
        title.setText(with_breaks(text))
        title.setVisible(bool(text))

    def show_page(self, index: int, focus: str | None = "first") -> None:
        """Show page `index` (pages mode) or scroll to it (scroll mode)."""
        if not self.pages:
            return
        index = max(0, min(index, len(self.pages) - 1))
        changed = index != self.current
        self.current = index
        if self.page_mode == "pages" or (not self.order and not self.repeat_pages):
            self._render()
        if focus == "first":
            self.focus_page(index)
        elif focus == "last":
            self.focus_page(index, last=True)
        self._update_header()
        if changed:
            self.sig_page_changed.emit(index)

    def _render(self) -> None:
        """Rebuild the scroll area's contents: the current page, or every page."""
        self._clear()
        container = QWidget()
        host = QVBoxLayout(container)
        host.setContentsMargins(2, 2, 14, 2)
        host.setSpacing(6)
        self.page_frames: dict[int, QWidget] = {}
        indices = [self.current] if self.page_mode == "pages" else range(len(self.pages))
        for index in indices:
            frame = QFrame()
            frame.setObjectName("pageSection" if self.page_mode == "scroll" and index else "page")
            section = QVBoxLayout(frame)
            section.setContentsMargins(0, 4, 0, 4)
            self._build_page(self.pages[index], section)
            host.addWidget(frame)
            self.page_frames[index] = frame
        self.empty_note = QLabel()
        self.empty_note.setObjectName("questionHint")
        self.empty_note.setWordWrap(True)
        host.addWidget(self.empty_note)
        host.addStretch(1)
        old = self.scroller.widget()
        focus = QApplication.focusWidget()
        if old is not None and focus is not None and old.isAncestorOf(focus):
            # Park the focus outside the page first: deleting the focused widget would
            # leave the window without focus (and, on some platforms, inactive).
            self.scroller.setFocus(Qt.FocusReason.OtherFocusReason)
        self.scroller.setWidget(container)  # the previous page is deleted with its widgets
        self._update_empty_note()

    def _update_empty_note(self) -> None:
        if not hasattr(self, "empty_note"):
            return
        page = self.pages[self.current] if self.pages else None
        empty = self.page_mode == "pages" and page is not None and not page.applies()
        self.empty_note.setText(
            _("Nothing on this page applies now: go on to the next page.") if empty else ""
        )
        self.empty_note.setVisible(empty)
        if self.page_mode == "scroll":
            for index, frame in self.page_frames.items():
                frame.setVisible(self.pages[index].applies())

    def _update_header(self) -> None:
        page = self.pages[self.current] if self.pages else None
        crumbs: list[str] = []
        anchor: Node | None = None
        if page is not None:
            anchor = page.container if page.is_repeat_page else (page.group or page.nodes[0])
        if page is not None and anchor is not None:
            node: Node | None = (
                anchor.parent if page.group is not None or not page.is_repeat_page else anchor
            )
            while node is not None and node.parent is not None:
                label = " ".join(self.session.text(node, "label").split())
                if label:
                    if repeat_instance_of(node) is node:
                        label = f"{label} {node.position()}"
                    crumbs.append(label)
                node = node.parent
            if page.is_repeat_page and page.container is not None and page.repeat is not None:
                crumbs.insert(0, repeat_label(self.session, page.container, page.repeat))
        self.breadcrumb.setText(" › ".join(reversed(crumbs)))
        self._update_counter()
        self._update_empty_note()

    def _update_counter(self) -> None:
        applying = [i for i, p in enumerate(self.pages) if p.applies()]
        position = sum(1 for i in applying if i <= self.current)
        self.page_counter.setText(
            _("Page {number} of {count}").format(number=max(position, 1), count=len(applying))
        )
        self.previous_button.setEnabled(any(i < self.current for i in applying))
        self.next_button.setEnabled(any(i > self.current for i in applying))

    # -- the EntryContext the widgets use ------------------------------------------------
    def answer(self, node: Node, value: Any) -> bool:
        widget = self.widgets.get(node)
        try:
            changes = self.session.set_value(node, value)
        except AnswerError as error:
            if widget is not None:
                widget.set_answer_error(error.message)
            log.info("answer refused at %s: %s", self.session.ref(node), error.message)
            return False
        if widget is not None and widget._answer_error is not None:
            widget.set_answer_error(None)
        if changes.any():
            self.apply_changes(changes)
            self.sig_answer_changed.emit()
        return True

    def advance(self, widget: QuestionWidget, backwards: bool = False) -> None:
        """Enter: the next relevant question on this page, else the next page."""
        visible = [w for w in self.order if w.node.relevant and w.editors()]
        if widget in visible:
            position = visible.index(widget) + (-1 if backwards else 1)
            if 0 <= position < len(visible):
                target = visible[position]
                if self.page_mode == "scroll" or self._page_of_widget(target) == self.current:
                    target.focus_editor()
                    return
        if backwards:
            self.previous_page(focus="last")
        else:
            self.next_page()

    def attach(self, node: Node, path: str, on_stored: Any = None) -> None:
        """Copy `path` into the store on a worker, then answer `node` with it here."""
        from pathlib import Path

        def done(stored: StoredFile) -> None:
            self.filling.attachments[stored.name] = stored.sha256  # linked to the draft
            self.answer(node, stored.name)
            self._attach_finished(node)
            if on_stored is not None:
                on_stored(stored)

        def failed(error: BaseException) -> None:
            self._attach_finished(node)
            widget = self.widgets.get(node)
            if widget is not None:
                widget.set_answer_error(
                    _("The file could not be attached: {error}").format(error=error)
                )

        run_async(lambda: self.filling.store_file(Path(path)), done, failed)

    def _attach_finished(self, node: Node) -> None:
        widget = self.widgets.get(node)
        if isinstance(widget, MediaWidget) and shiboken6.isValid(widget):
            widget.set_busy(False)

    def load_attachment(self, name: str, limit: int, on_ready: Any) -> None:
        filling = self.filling

        def work() -> tuple[bytes | None, int | None]:
            data = read_stored(filling, name, limit) if limit else None
            size = len(data) if data is not None else stored_size(filling, name)
            return data, size

        def done(result: tuple[bytes | None, int | None]) -> None:
            on_ready(*result)

        run_async(work, done, lambda error: log.warning("preview of %s failed: %s", name, error))

    # -- applying what changed -----------------------------------------------------------
    def apply_changes(self, changes: Changes) -> None:
        """Redraw only the widgets of nodes the session says changed."""
        widgets = self.widgets
        if changes.structure:
            self._structure_changed()
            return
        for node in changes.values:
            widget = widgets.get(node)
            if widget is not None:
                widget.refresh_value()
                widget.refresh_message()
        for node in changes.choices:
            widget = widgets.get(node)
            if widget is not None:
                widget.rebuild_choices()
        for node in changes.relevance:
            widget = widgets.get(node)
            if widget is not None:
                widget.setVisible(node.relevant)  # always inside a page here
        for node in changes.readonly:
            widget = widgets.get(node)
            if widget is not None:
                widget.set_editable(not node.readonly)
        for node in changes.required | changes.labels:
            widget = widgets.get(node)
            if widget is not None:
                widget.refresh_texts()
        for node in changes.validity:
            widget = widgets.get(node)
            if widget is not None:
                widget.refresh_message()
        if changes.relevance:
            self._update_counter()
            self._update_empty_note()
        model = self.index_panel.model
        model.nodes_changed(
            changes.values
            | changes.relevance
            | changes.validity
            | changes.required
            | changes.labels
        )

    def _structure_changed(self) -> None:
        """Repeat instances came, went or moved: new page list, same place if possible."""
        focused = self.current_question
        key = self.pages[self.current].key() if self.pages else ""
        self.pages = entry_pages(self.session)
        keys_now = [p.key() for p in self.pages]
        self.current = (
            keys_now.index(key) if key in keys_now else min(self.current, len(self.pages) - 1)
        )
        self.index_panel.model.rebuild()
        self._render()
        self._update_header()
        if focused is not None and focused in self.widgets:
            self.widgets[focused].focus_editor()

    # -- repeats ---------------------------------------------------------------------------
    def add_repeat(self, container: Node, name: str, after: Node | None = None) -> None:
        try:
            instance = self.session.add_repeat(container, name, after=after)
        except AnswerError as error:
            self.set_status(error.message)
            return
        self._structure_changed()
        self.sig_answer_changed.emit()
        self.open_instance(instance)

    def remove_repeat(self, instance: Node) -> None:
        container = instance.parent
        if container is None:
            return
        label = f"{repeat_label(self.session, container, instance.name)} {instance.position()}"
        if not confirm_remove(self, label):
            return
        siblings = container.by_name.get(instance.name, [])
        position = siblings.index(instance)
        try:
            self.session.remove_repeat(instance)
        except AnswerError as error:
            self.set_status(error.message)
            return
        self._structure_changed()
        self.sig_answer_changed.emit()
        remaining = container.by_name.get(instance.name, [])
        self._show_repeat_page(
            container,
            instance.name,
            select=(remaining[min(position, len(remaining) - 1)] if remaining else None),
        )

    def move_repeat(self, instance: Node, step: int) -> None:
        container = instance.parent
        if container is None:
            return
        target = instance.position() - 1 + step
        try:
            self.session.move_repeat(instance, target)
        except AnswerError as error:
            self.set_status(error.message)
            return
        on_repeat_page = self.pages[self.current].is_repeat_page
        self._structure_changed()
        self.sig_answer_changed.emit()
        if on_repeat_page:
            self._show_repeat_page(container, instance.name, select=instance)
        else:
            self.open_instance(instance)

    def open_instance(self, instance: Node) -> None:
        for index, page in enumerate(self.pages):
            if page.nodes and any(_within(n, instance) for n in page.nodes):
                self.show_page(index)
                return

    def _show_repeat_page(self, container: Node, name: str, select: Node | None) -> None:
        for index, page in enumerate(self.pages):
            if page.container is container and page.repeat == name:
                self.show_page(index, focus=None)
                for repeat_page in self.repeat_pages:
                    if repeat_page.container is container and repeat_page.name == name:
                        repeat_page.select(select)
                        repeat_page.focus_first()
                return

    def _repeat_here(self) -> tuple[Node, str, Node | None] | None:
        """(container, name, instance) of the repeat at the focus or on this page."""
        page = self.pages[self.current]
        if page.is_repeat_page and page.container is not None and page.repeat is not None:
            chosen = None
            for repeat_page in self.repeat_pages:
                if repeat_page.container is page.container:
                    chosen = repeat_page.current_instance()
            return page.container, page.repeat, chosen
        anchor = self.current_question or (page.nodes[0] if page.nodes else None)
        instance = repeat_instance_of(anchor) if anchor is not None else None
        if instance is None or instance.parent is None:
            return None
        return instance.parent, instance.name, instance

    def add_repeat_here(self) -> None:
        here = self._repeat_here()
        if here is not None:
            container, name, instance = here
            siblings = container.by_name.get(name, [])
            self.add_repeat(container, name, after=instance or (siblings[-1] if siblings else None))

    def remove_repeat_here(self) -> None:
        here = self._repeat_here()
        if here is not None and here[2] is not None:
            self.remove_repeat(here[2])

    def move_repeat_here(self, step: int) -> None:
        here = self._repeat_here()
        if here is not None and here[2] is not None:
            self.move_repeat(here[2], step)

    # -- navigation ------------------------------------------------------------------------
    def _applying(self, start: int, step: int) -> int:
        """The first page from `start` (going by `step`) that has something relevant."""
        index = start
        while 0 <= index < len(self.pages):
            if self.pages[index].applies():
                return index
            index += step
        return max(0, min(start, len(self.pages) - 1))

    def next_page(self) -> None:
        self._commit_focused()
        for index in range(self.current + 1, len(self.pages)):
            if self.pages[index].applies():
                self.show_page(index)
                return
        self.set_status(_("This is the last page. Ctrl+Shift+F checks the form and finalises."))

    def previous_page(self, focus: str = "first") -> None:
        self._commit_focused()
        for index in range(self.current - 1, -1, -1):
            if self.pages[index].applies():
                self.show_page(index, focus=focus)
                return
        self.set_status(_("This is the first page."))

    def _page_of_widget(self, widget: QuestionWidget) -> int:
        return self.page_index_of(widget.node)

    def page_index_of(self, node: Node) -> int:
        for index, page in enumerate(self.pages):
            if node in page.nodes or (page.group is not None and page.group is node):
                return index
        for index, page in enumerate(self.pages):
            if any(_within(n, node) for n in page.nodes) or page.container is node:
                return index
        return -1

    def focus_page(self, index: int, last: bool = False) -> None:
        page = self.pages[index]
        if page.is_repeat_page:
            for repeat_page in self.repeat_pages:
                if repeat_page.container is page.container and repeat_page.name == page.repeat:
                    repeat_page.focus_first()
            return
        candidates = [
            self.widgets[n]
            for n in page.nodes
            if n in self.widgets and n.relevant and self.widgets[n].editors()
        ]
        if not candidates:
            self.next_button.setFocus()
            return
        target = candidates[-1] if last else candidates[0]
        target.focus_editor()
        self._ensure_visible(target)

    def _ensure_visible(self, widget: QWidget) -> None:
        def scroll() -> None:
            if shiboken6.isValid(widget):
                self.scroller.ensureWidgetVisible(widget, 0, 24)

        QTimer.singleShot(0, scroll)

    def go_to(self, node: Node) -> None:
        """Show the page of `node` and put the focus on it."""
        index = self.page_index_of(node)
        if index < 0:
            return
        if index != self.current or (self.page_mode == "pages" and node not in self.widgets):
            self.show_page(index, focus=None)
        widget = self.widgets.get(node)
        if widget is not None and node.relevant:
            widget.focus_editor()
            self._ensure_visible(widget)
        else:
            self.focus_page(index)
        self._update_header()

    def focus_current_question(self) -> None:
        node = self.current_question
        if node is not None and node in self.widgets:
            self.widgets[node].focus_editor()
        elif self.pages:
            self.focus_page(self.current)

    def focus_index(self) -> None:
        if not self.index_panel.isVisible():
            self.index_panel.show()
        if self.current_question is not None:
            self.index_panel.show_node(self.current_question)
        self.index_panel.focus_tree()

    def _mark_checked(self) -> None:
        self.checked = True
        for widget in self.widgets.values():
            widget.show_required = True
            widget.refresh_message()

    def focus_first_invalid(self) -> None:
        self._commit_focused()
        problems = self.session.problems()
        self._mark_checked()
        if not problems:
            self.set_status(_("Nothing needs correcting."))
            return
        self.go_to(problems[0].node)
        self.set_status(problems[0].message)

    def next_unanswered(self) -> None:
        """The next relevant question without an answer, after the current one (wrapping)."""
        self._commit_focused()
        sequence = [n for page in self.pages for n in page.nodes]
        start = 0
        if self.current_question is not None and self.current_question in sequence:
            start = sequence.index(self.current_question) + 1
        else:
            first = next((n for p in self.pages[self.current :] for n in p.nodes), None)
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
        self.set_status(_("Every question that applies has an answer."))

    def request_finalise(self) -> None:
        self._commit_focused()
        problems = self.filling.problems()
        self._mark_checked()
        self.summary = SummaryDialog(self.session, problems, self)
        self.summary.sig_problem_chosen.connect(self._problem_chosen)
        self.summary.sig_finalise_confirmed.connect(self.sig_finalise_requested.emit)
        self.summary.open()

    def _problem_chosen(self, node: Node) -> None:
        self.window().activateWindow()  # back from the dialog, ready for keys
        self.go_to(node)

    def _commit_focused(self) -> None:
        node = self.current_question
        if node is not None and node in self.widgets:
            self.widgets[node].commit()

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def show_keys_help(self) -> None:
        from app.ui.entry.keys_help import KeysHelp

        KeysHelp(self).open()

    # -- bookmarks ---------------------------------------------------------------------------
    def toggle_bookmark(self) -> None:
        node = self.current_question
        if node is None:
            return
        ref = self.session.ref(node)
        if ref in self.bookmarks:
            self.bookmarks.remove(ref)
        else:
            self.bookmarks.append(ref)
        self._bookmarks_changed(node)

    def _bookmarks_changed(self, node: Node | None = None) -> None:
        self.index_panel.model.bookmarks = set(self.bookmarks)
        for widget in self.widgets.values():
            widget.set_bookmarked(self.session.ref(widget.node) in self.bookmarks)
        if node is not None:
            self.index_panel.model.nodes_changed({node})
        self.sig_bookmarks_changed.emit()
        self.sig_answer_changed.emit()  # bookmarks are saved with the draft

    # -- focus and paradata ------------------------------------------------------------
    def _owner(self, widget: QWidget | None) -> QuestionWidget | None:
        while widget is not None:
            if isinstance(widget, QuestionWidget) and self.widgets.get(widget.node) is widget:
                return widget
            if widget is self:
                return None
            widget = widget.parentWidget()
        return None

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if not shiboken6.isValid(self):
            return
        owner = self._owner(new)
        if owner is None:
            return
        node = owner.node
        if node is self.current_question:
            return
        previous = self.current_question
        if previous is not None:
            left = self.widgets.get(previous)
            if left is not None:
                left.commit()
                left.show_required = True
                left.refresh_message()
            self.filling.question_left(previous)
            self.sig_question_left.emit(previous)
        self.current_question = node
        self.filling.question_entered(node)
        self.sig_question_entered.emit(node)
        self.index_panel.show_node(node)
        if self.page_mode == "scroll":
            page = self.page_index_of(node)
            if page >= 0 and page != self.current:
                self.current = page
                self._update_header()
                self.sig_page_changed.emit(page)
        self._ensure_visible(owner)

    # -- language ---------------------------------------------------------------------------
    def set_form_language(self, code: str | None) -> None:
        """Re-render every form text in `code` without rebuilding widgets (focus stays)."""
        self.session.set_language(code)
        self._retranslate_form()

    def _retranslate_form(self) -> None:
        for widget in self.widgets.values():
            widget.refresh_texts()
        for grid in self.grids:
            grid.retranslate()
        for bar in self.repeat_bars:
            bar.retranslate()
        for repeat_page in self.repeat_pages:
            repeat_page.refresh()
        for title, page in self.section_titles:
            self._retitle(title, page)
        self.index_panel.model.everything_changed()
        self._update_header()

    def retranslate(self) -> None:
        """The UI language changed: our own strings, and engine defaults in messages."""
        self.retranslate_chrome()
        self._retranslate_form()
        self._update_empty_note()

    # -- state saved with the draft ----------------------------------------------------------
    def ui_state(self) -> dict[str, Any]:
        page = self.pages[self.current] if self.pages else None
        return {
            "entry": {
                "page": self.current,
                "page_key": page.key() if page is not None else "",
                "focus": self.session.ref(self.current_question)
                if self.current_question is not None
                else None,
                "scroll": self.scroller.verticalScrollBar().value(),
                "bookmarks": list(self.bookmarks),
                "index_visible": not self.index_panel.isHidden(),
                "page_mode": self.page_mode,
            }
        }

    def restore_ui_state(self, state: dict[str, Any]) -> None:
        entry = state.get("entry") if isinstance(state, dict) else None
        if not isinstance(entry, dict):
            return
        bookmarks = entry.get("bookmarks")
        if isinstance(bookmarks, list):
            self.bookmarks = [str(b) for b in bookmarks]
            self.index_panel.model.bookmarks = set(self.bookmarks)
        self.index_panel.setVisible(bool(entry.get("index_visible", True)))
        keys_now = [p.key() for p in self.pages]
        index = entry.get("page", 0)
        if entry.get("page_key") in keys_now:
            index = keys_now.index(entry["page_key"])
        if not isinstance(index, int):
            index = 0
        self.current = -1  # force a render
        self.show_page(max(0, min(index, len(self.pages) - 1)), focus=None)
        focus = entry.get("focus")
        if isinstance(focus, str):
            try:
                node = self.session.node(focus)
            except AnswerError:
                node = None
            if node is not None and node in self.widgets:
                self.widgets[node].focus_editor()
        scroll = entry.get("scroll")
        if isinstance(scroll, int):
            QTimer.singleShot(0, lambda: self.scroller.verticalScrollBar().setValue(scroll))

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.current_question is None and self.pages:
            QTimer.singleShot(0, self._focus_when_shown)

    def _focus_when_shown(self) -> None:
        if shiboken6.isValid(self) and self.current_question is None and self.pages:
            self.focus_page(self.current)


def _within(node: Node, ancestor: Node) -> bool:
    current: Node | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False
