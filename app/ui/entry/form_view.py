"""FormView: the pages of a form being filled, an index, and keyboard navigation.

The view is a thin layer over a `Filling`: widgets hand answers to
`answer()`, which calls `FormSession.set_value` and redraws only the widgets
named in the returned `Changes`. The view records question enter / leave
paradata in the Filling itself; its signals tell the shell when to autosave
(`sig_answer_changed`) and where the user is.

It keeps the state (pages, the current page and question, the widgets built,
bookmarks) and hands the work to helpers: `page_host.PageBuilder` builds page
frames (scroll mode in slices), `navigation.Navigator` moves between pages
and questions, `repeat_actions.RepeatController` adds, removes and moves
repeat instances, and `attachments.Attachments` stores files off the UI thread.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
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
from app.engine.instance import Node
from app.engine.session import Changes
from app.fieldwork.filling import Filling
from app.ui.entry import keys
from app.ui.entry.attachments import Attachments, StoredFile
from app.ui.entry.index_panel import IndexPanel
from app.ui.entry.navigation import Navigator
from app.ui.entry.page_host import PageBuilder, breadcrumb, retitle
from app.ui.entry.pages import EntryPage, entry_pages
from app.ui.entry.repeat_actions import RepeatController
from app.ui.entry.repeats import (
    RepeatBar,
    RepeatPage,
    confirm_count_drop,
    holds_answers,
    repeat_label,
)
from app.ui.entry.summary import SummaryDialog
from app.ui.entry.widgets.base import QuestionWidget
from app.ui.entry.widgets.grid import GridWidget

log = logging.getLogger(__name__)

PAGE_MODES = ("pages", "scroll")
INDEX_SHARE, INDEX_MIN, INDEX_MAX = 0.24, 180, 300  # the index panel's width at first show

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


def fit_summary(dialog: SummaryDialog) -> None:
    """Size the finalise check to what it shows. It opens at room for a long list of
    problems; a short list takes the height of its rows, and "nothing left to fix"
    (one line and two buttons) the width of that line."""
    hint = dialog.sizeHint()
    if dialog.problems:
        listed = dialog.list
        rows = sum(listed.sizeHintForRow(r) for r in range(dialog.model.rowCount()))
        height = hint.height() - listed.sizeHint().height() + rows + 2 * listed.frameWidth()
        height = max(dialog.minimumSizeHint().height(), min(dialog.height(), height))
        dialog.resize(dialog.width(), height)
        return
    margins = dialog.contentsMargins() + dialog.layout().contentsMargins()  # type: ignore[union-attr]
    line = dialog.heading.fontMetrics().horizontalAdvance(dialog.heading.text()) + 8
    width = max(hint.width(), min(dialog.width(), line + margins.left() + margins.right()))
    height = dialog.heightForWidth(width)
    dialog.resize(width, height if height > 0 else hint.height())


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
        # What the built pages hold (scroll mode builds in slices: not every page yet).
        self.widgets: dict[Node, QuestionWidget] = {}
        self.repeat_bars: list[RepeatBar] = []
        self.repeat_pages: list[RepeatPage] = []
        self.grids: list[GridWidget] = []
        self.section_titles: list[tuple[QLabel, EntryPage]] = []
        self.bookmarks: list[str] = []
        self.checked = False  # after a finalise check, required messages show everywhere
        self.current_question: Node | None = None
        self.focus_quiet = False  # focus moves that are not the user's (see Navigator.tab)
        self._sized = False  # the index's share of the width is set at the first show
        self.summary: SummaryDialog | None = None
        self.navigator = Navigator(self)
        self.repeats = RepeatController(self)
        self.attachments = Attachments(self)
        self.builder = PageBuilder(self)
        self.disposing = False  # set by `dispose`: nothing may touch the pages any more
        self.setStyleSheet(STYLE)
        self._build()
        first = self.navigator.applying
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
                "first_page": lambda: self.show_page(first(0, 1)),
                "last_page": lambda: self.show_page(first(len(self.pages) - 1, -1)),
                "add_repeat": self.repeats.add_here,
                "remove_repeat": self.repeats.remove_here,
                "move_repeat_up": lambda: self.repeats.move_here(-1),
                "move_repeat_down": lambda: self.repeats.move_here(1),
                "keys_help": self.show_keys_help,
            },
        )
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        listen_for_language(self, "retranslate")
        self.restore_ui_state(filling.ui)
        if self.builder.host is None:
            self.show_page(first(0, 1), focus=None)

    # -- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(self.splitter)
        self.index_panel = IndexPanel(self.session)
        self.index_panel.sig_node_chosen.connect(self.go_to)
        self.index_panel.sig_closed.connect(self.navigator.focus_current_question)
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
        if self.page_mode == "scroll":
            # With a scroll bar "as needed", QScrollArea asks the page's height for two
            # widths (with and without the bar) on every layout; the layouts cache one
            # width, so every label of every page was laid out again on each pass.
            self.scroller.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
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

    # -- pages -------------------------------------------------------------------------
    def forget_widgets(self) -> None:
        """The page contents are about to be replaced: drop what pointed into them."""
        self.widgets.clear()
        self.repeat_bars.clear()
        self.repeat_pages.clear()
        self.grids.clear()
        self.section_titles.clear()

    @property
    def page_frames(self) -> dict[int, QFrame]:
        host = self.builder.host
        return host.frames if host is not None else {}

    def show_page(self, index: int, focus: str | None = "first") -> None:
        """Show page `index` (pages mode) or scroll to it (scroll mode)."""
        if not self.pages:
            if self.builder.host is None:
                self.builder.render()  # an empty page that says why it is empty
            self.update_header()
            return
        index = max(0, min(index, len(self.pages) - 1))
        changed = index != self.current
        self.current = index
        if self.page_mode == "pages" or self.builder.host is None:
            self.builder.render()
        self.builder.ensure_built(index)
        if focus == "first":
            self.navigator.focus_page(index)
        elif focus == "last":
            self.navigator.focus_page(index, last=True)
        self.update_header()
        if changed:
            self.set_status("")  # what the status said was about the page left
            self.sig_page_changed.emit(index)

    def _update_empty_note(self) -> None:
        host = self.builder.host
        if host is None:
            return
        page = self.pages[self.current] if self.pages else None
        if not any(p.applies() for p in self.pages):  # hidden fields and calculations only
            text = _("Nothing in this form is to be answered now: use Check and finalise….")
        elif self.page_mode == "pages" and page is not None and not page.applies():
            text = _("Nothing on this page applies now: go on to the next page.")
        else:
            text = ""
        host.empty_note.setText(text)
        host.empty_note.setVisible(bool(text))
        if self.page_mode == "scroll":
            for index, frame in host.frames.items():
                if index not in self.builder.unshown:  # a page still being built waits
                    frame.setVisible(self.pages[index].applies())

    def update_header(self) -> None:
        page = self.pages[self.current] if self.pages else None
        self.breadcrumb.setText(" › ".join(breadcrumb(self.session, page)) if page else "")
        self._update_counter()
        self._update_empty_note()

    def _update_counter(self) -> None:
        applying = [i for i, p in enumerate(self.pages) if p.applies()]
        position = sum(1 for i in applying if i <= self.current)
        self.page_counter.setText(
            _("Page {number} of {count}").format(number=max(position, 1), count=len(applying))
        )
        # No page to show (a form of calculations only, or nothing relevant): no "1 of 0".
        self.page_counter.setVisible(bool(applying))
        self.previous_button.setEnabled(any(i < self.current for i in applying))
        self.next_button.setEnabled(any(i > self.current for i in applying))

    # -- the EntryContext the widgets use ------------------------------------------------
    def answer(self, node: Node, value: Any) -> bool:
        widget = self.widgets.get(node)
        before = node.value
        try:
            changes = self.session.set_value(node, value)
        except AnswerError as error:
            if widget is not None:
                widget.set_answer_error(error.message)
            log.info("answer refused at %s: %s", self.session.ref(node), error.message)
            return False
        if widget is not None and widget._answer_error is not None:
            widget.set_answer_error(None)
        kept = bool(changes.dropped) and not self._count_drop_confirmed(changes.dropped)
        if kept:
            self.apply_changes(changes)
            changes = self.session.set_value(node, before or None)  # they come back
        if changes.any():
            self.apply_changes(changes)
            self.sig_answer_changed.emit()
        if kept:
            self.go_to(node)  # back on the number, as it was
        return not kept

    def _count_drop_confirmed(self, dropped: dict[Node, list[Node]]) -> bool:
        """A lower repeat count took instances away: fine when they were empty; else ask."""
        for container, instances in dropped.items():
            if any(holds_answers(instance) for instance in instances):
                name = instances[0].name
                first = len(container.by_name.get(name, [])) + 1
                label = repeat_label(self.session, container, name)
                if not confirm_count_drop(self, label, first, first + len(instances) - 1):
                    return False
        return True

    def advance(self, widget: QuestionWidget, backwards: bool = False) -> None:
        """Enter: the next relevant question on this page, else the next page."""
        self.navigator.advance(widget, backwards)

    def attach(
        self, node: Node, path: str, on_stored: Callable[[StoredFile], None] | None = None
    ) -> None:
        """Copy `path` into the store on a worker, then answer `node` with it here."""
        self.attachments.attach(node, path, on_stored)

    def load_attachment(self, name: str, limit: int, on_ready: Callable[..., Any]) -> None:
        self.attachments.load(name, limit, on_ready)

    # -- applying what changed -----------------------------------------------------------
    def apply_changes(self, changes: Changes) -> None:
        """Redraw only the widgets of nodes the session says changed.

        Nodes without a widget are on pages not built yet (or not shown): their
        widgets read the node's state when they are built."""
        widgets = self.widgets
        if changes.structure:
            self.structure_changed()
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

    def structure_changed(self) -> None:
        """Repeat instances came, went or moved: new page list, same place if possible."""
        focused = self.current_question
        key = self.pages[self.current].key() if self.pages else ""
        self.pages = entry_pages(self.session)
        keys_now = [p.key() for p in self.pages]
        self.current = (
            keys_now.index(key) if key in keys_now else min(self.current, len(self.pages) - 1)
        )
        self.index_panel.model.rebuild()
        self.builder.render()
        self.update_header()
        if focused is not None:
            index = self.navigator.page_index_of(focused)
            if index >= 0:
                self.builder.ensure_built(index)
            if focused in self.widgets:
                self.widgets[focused].focus_editor()

    # -- navigation ------------------------------------------------------------------------
    def next_page(self) -> None:
        self.navigator.next_page()

    def previous_page(self, focus: str = "first") -> None:
        self.navigator.previous_page(focus)

    def page_index_of(self, node: Node) -> int:
        return self.navigator.page_index_of(node)

    def focus_page(self, index: int, last: bool = False) -> None:
        self.navigator.focus_page(index, last)

    def go_to(self, node: Node) -> None:
        """Show the page of `node` and put the focus on it."""
        self.navigator.go_to(node)

    def focus_index(self) -> None:
        self.navigator.focus_index()

    def focus_first_invalid(self) -> None:
        self.navigator.focus_first_invalid()

    def next_unanswered(self) -> None:
        """The next relevant question without an answer, after the current one (wrapping)."""
        self.navigator.next_unanswered()

    def mark_checked(self) -> None:
        self.checked = True
        for widget in self.widgets.values():
            widget.show_required = True
            widget.refresh_message()

    def request_finalise(self) -> None:
        self.commit_focused()
        problems = self.filling.problems()
        self.mark_checked()
        self.summary = SummaryDialog(self.session, problems, self)
        self.summary.sig_problem_chosen.connect(self._problem_chosen)
        self.summary.sig_finalise_confirmed.connect(self.sig_finalise_requested.emit)
        fit_summary(self.summary)
        self.summary.open()

    def _problem_chosen(self, node: Node) -> None:
        self.window().activateWindow()  # back from the dialog, ready for keys
        self.go_to(node)

    def commit_focused(self) -> None:
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

    def focusNextPrevChild(self, forward: bool) -> bool:
        # Widgets made since the pages were built went to the end of the Tab chain too.
        self.navigator.order_tabs()
        if self.navigator.tab_from_buttons(forward):
            return True
        return super().focusNextPrevChild(forward)

    def focus_settled(self) -> None:
        """After quiet focus moves: record where the focus ended up."""
        self._focus_changed(None, QApplication.focusWidget())

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self.focus_quiet or not shiboken6.isValid(self):
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
            page = self.navigator.page_index_of(node)
            if page >= 0 and page != self.current:
                self.current = page
                self.update_header()
                self.sig_page_changed.emit(page)
        self.navigator.ensure_visible(owner)

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
            retitle(title, self.session, page)
        self.index_panel.model.everything_changed()
        self.update_header()

    def retranslate(self) -> None:
        """The UI language changed: our own strings, and engine defaults in messages."""
        if self.disposing:
            return  # its pages are being deleted
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
        self.current = -1  # pages mode renders the page again
        self.show_page(max(0, min(index, len(self.pages) - 1)), focus=None)
        focus = entry.get("focus")
        node: Node | None = None
        if isinstance(focus, str):
            try:
                node = self.session.node(focus)
            except AnswerError:
                node = None
        if node is not None:
            self.builder.ensure_built(self.navigator.page_index_of(node))
            if node in self.widgets:
                self.widgets[node].focus_editor()
        scroll = entry.get("scroll")
        if self.page_mode == "scroll":
            # Pages above are built later (and keep the place steady as they come):
            # a saved offset means nothing yet. The focus, or the page, is the place.
            shown: QWidget | None = self.widgets.get(node) if node is not None else None
            shown = shown or self.page_frames.get(self.current)
            if shown is not None:
                self.navigator.ensure_visible(shown)
        elif isinstance(scroll, int):
            QTimer.singleShot(0, lambda: self.scroller.verticalScrollBar().setValue(scroll))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized and self.width() > 0:
            # A fixed 300 px index leaves a 150 % zoom (910 px wide) too little for a grid.
            self._sized = True
            index = max(INDEX_MIN, min(INDEX_MAX, int(self.width() * INDEX_SHARE)))
            self.splitter.setSizes([index, max(1, self.width() - index)])
        self.builder.resume()
        if self.current_question is None and self.pages:
            QTimer.singleShot(0, self._focus_when_shown)

    def _focus_when_shown(self) -> None:
        if shiboken6.isValid(self) and self.current_question is None and self.pages:
            self.navigator.focus_page(self.current)

    def dispose(self, then: Callable[[], None]) -> None:
        """Destroy the built pages a chunk at a time, then call `then`.

        Deleting a fully built 1,000-question scroll view at once blocks the UI
        thread for about half a second; one chunk of pages per event-loop turn
        keeps every step short. The view must already be out of sight.
        """
        self.disposing = True
        self.builder.timer.stop()
        host = self.builder.host
        holders = (
            [layout.parentWidget() for layout in host.chunks.values()] if host is not None else []
        )

        def step() -> None:
            if holders:
                holder = holders.pop()
                if holder is not None:
                    holder.setParent(None)
                    holder.deleteLater()
                QTimer.singleShot(0, step)
            else:
                then()

        step()
