"""The scroll area's contents: the frames of the pages on screen, built whole or in slices.

Pages mode shows one page and builds it at once. Scroll mode shows every
page, and building the widgets of a thousand questions takes seconds, so it
builds a screenful from the current page at once and the rest from a
zero-timer, one slice of about `SLICE_SECONDS` at a time: keys and paints get
through between slices (DESIGN: the UI thread never blocks for more than
100 ms). Slices stop between questions, so a long field-list page spreads over
several. A page needed before its turn (a jump, Enter, Tab or Page Down past
the pages built so far) is built on the spot by `ensure_built`.

Adding to a page of a thousand questions must not lay all of it out again:
pages sit in chunks (`CHUNK`), and the host answers the scroll area's size
questions for one width only (see `PageHost.sizeHint`, and the view's
always-on scroll bar).

Widgets not built yet need no `Changes`: a widget reads its node's state
(value, relevance, messages, language) when it is built.

A page built out of turn takes its place in the layout, but Qt appends its
widgets to the end of the focus chain; so in scroll mode Tab from one page to
another goes through `Navigator.tab` (page order), and a page built above the
one being read would push it down the screen, so the scroll position is
corrected by the height that page added. Every page built lands after the page
buttons in the chain too: `Navigator.order_tabs` moves them back behind it.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QVBoxLayout, QWidget

from app.core.text import with_breaks
from app.engine.instance import Node
from app.engine.session import FormSession
from app.ui.entry.pages import EntryPage, repeat_instance_of
from app.ui.entry.repeats import RepeatBar, RepeatPage, repeat_label
from app.ui.entry.widgets.base import QuestionWidget, wrapped_label
from app.ui.entry.widgets.factory import make_widget
from app.ui.entry.widgets.grid import GridWidget, scale_runs

if TYPE_CHECKING:
    from app.ui.entry.form_view import FormView

log = logging.getLogger(__name__)

# Building stops after this long in one slice; the layout and paint that follow add to it,
# and bench/ui.py checks that the whole stall stays near 30 ms.
SLICE_SECONDS = 0.012
# Questions built at once from the current page when scroll mode opens: about what a
# 768-pixel screen shows (the next slice, a few milliseconds later, adds the rest).
SCREENFUL = 8
CHUNK = 32  # pages per chunk of the layout (see PageHost)
PAGE_SPACING = 6


def page_title(session: FormSession, page: EntryPage) -> str:
    """The title over a page: its field-list group's label (and instance number)."""
    if page.group is None:
        return ""
    text = " ".join(session.text(page.group, "label").split())
    if text and repeat_instance_of(page.group) is page.group:
        text = f"{text} {page.group.position()}"
    return text


def breadcrumb(session: FormSession, page: EntryPage) -> list[str]:
    """The labels of the groups (and repeat instances) around `page`, outermost first."""
    anchor = page.container if page.is_repeat_page else (page.group or page.nodes[0])
    if anchor is None:
        return []
    crumbs: list[str] = []
    # A field-list page's own group is its title, not a crumb; a repeat page's container is.
    inside = page.group is not None or not page.is_repeat_page
    node: Node | None = anchor.parent if inside else anchor
    while node is not None and node.parent is not None:
        label = " ".join(session.text(node, "label").split())
        if label:
            if repeat_instance_of(node) is node:
                label = f"{label} {node.position()}"
            crumbs.append(label)
        node = node.parent
    if page.is_repeat_page and page.container is not None and page.repeat is not None:
        crumbs.insert(0, repeat_label(session, page.container, page.repeat))
    return list(reversed(crumbs))


def retitle(title: QLabel, session: FormSession, page: EntryPage) -> None:
    text = page_title(session, page)
    title.setText(with_breaks(text))
    title.setVisible(bool(text))


class PageHost(QWidget):
    """Page frames in page order, then a note for pages where nothing applies.

    Frames sit in chunks of `CHUNK` consecutive pages: adding a page lays out its
    chunk and the list of chunks again, not every page of the form."""

    def __init__(self, view: FormView) -> None:
        super().__init__()
        self.view = view
        self.frames: dict[int, QFrame] = {}  # page index → frame, for the pages built
        self.built: list[int] = []  # the same indices, sorted (the layout's order)
        self.index_of_frame: dict[QFrame, int] = {}
        self.chunks: dict[int, QVBoxLayout] = {}
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(2, 2, 14, 2)
        self.column.setSpacing(0)  # chunks end with the spacing between pages
        self.empty_note = QLabel()
        self.empty_note.setObjectName("questionHint")
        self.empty_note.setWordWrap(True)
        self.column.addWidget(self.empty_note)
        self.column.addStretch(1)

    def insert(self, index: int, frame: QFrame) -> None:
        self.built.insert(bisect.bisect(self.built, index), index)
        self.frames[index] = frame
        self.index_of_frame[frame] = index
        number = index // CHUNK
        before = bisect.bisect_left(self.built, index) - bisect.bisect_left(
            self.built, number * CHUNK
        )
        self._chunk(number).insertWidget(before, frame)

    def _chunk(self, number: int) -> QVBoxLayout:
        layout = self.chunks.get(number)
        if layout is None:
            holder = QWidget()
            layout = QVBoxLayout(holder)
            layout.setContentsMargins(0, 0, 0, PAGE_SPACING)
            layout.setSpacing(PAGE_SPACING)
            self.column.insertWidget(bisect.bisect(sorted(self.chunks), number), holder)
            self.chunks[number] = layout
            holder.show()
        return layout

    def top_of(self, frame: QFrame) -> int:
        """`frame`'s top in the host (frames sit in chunks)."""
        chunk = frame.parentWidget()
        return frame.y() + (chunk.y() if chunk is not None else 0)

    def page_at(self, widget: QWidget | None) -> int | None:
        """The page whose frame holds `widget`, if any."""
        while widget is not None and widget is not self:
            if isinstance(widget, QFrame) and widget in self.index_of_frame:
                return self.index_of_frame[widget]
            widget = widget.parentWidget()
        return None

    def sizeHint(self) -> QSize:
        # QLayout's own size hint asks the height for the hint's width; the scroll area
        # then asks for the viewport's width. Layouts cache the height for one width, so
        # answering both laid out every label of every page again on each layout pass
        # (hundreds of ms with a thousand questions). The height here is only a hint:
        # the scroll area sizes the page with heightForWidth at its own width.
        return self.column.sizeHint()

    def focusNextPrevChild(self, forward: bool) -> bool:
        if self.view.page_mode != "scroll":
            return super().focusNextPrevChild(forward)
        return self.view.navigator.tab(
            forward, lambda: super(PageHost, self).focusNextPrevChild(forward)
        )


class PageBuilder(QObject):
    """Builds the view's pages into a fresh `PageHost` and registers their widgets.

    A page is built a question at a time (`_steps`), so that a long field-list page
    in scroll mode spreads over several slices too; `partial` holds the pages begun
    and not finished, which `ensure_built` finishes when something needs them."""

    def __init__(self, view: FormView) -> None:
        super().__init__(view)
        self.view = view
        self.host: PageHost | None = None
        self.pending: deque[int] = deque()  # scroll mode: pages still to build, in build order
        self.partial: dict[int, Iterator[None]] = {}
        self.unshown: set[int] = set()  # pages whose frame waits to be shown, built or not
        self.fresh: list[QWidget] = []  # widgets added to a shown frame, not shown yet
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._slice)

    @property
    def complete(self) -> bool:
        return self.host is not None and not self.pending

    def is_built(self, index: int) -> bool:
        return self.host is not None and index in self.host.frames and index not in self.partial

    # -- building ------------------------------------------------------------------------
    def render(self) -> None:
        """Replace the scroll area's contents: the current page, or (scroll) every page."""
        view = self.view
        self.timer.stop()
        self.pending.clear()
        self.partial.clear()
        self.unshown.clear()
        self.fresh.clear()
        view.forget_widgets()
        host = PageHost(view)
        self.host = host
        if view.page_mode == "pages":
            if view.pages:  # a form of hidden fields and calculations has none
                self._build(view.current)
        else:
            index, questions = view.current, 0
            while index < len(view.pages) and questions < SCREENFUL:
                self._build(index)
                questions += max(1, len(view.pages[index].nodes))
                index += 1
            # Downwards first (where the enumerator is going), then the pages above.
            self.pending.extend(range(index, len(view.pages)))
            self.pending.extend(range(0, view.current))
        old = view.scroller.widget()
        focus = QApplication.focusWidget()
        if old is not None and focus is not None and old.isAncestorOf(focus):
            # Park the focus outside the page first: deleting the focused widget would
            # leave the window without focus (and, on some platforms, inactive).
            view.scroller.setFocus(Qt.FocusReason.OtherFocusReason)
        if old is not None:
            # Not deleted now: a render can come from inside one of the old page's own
            # handlers (a repeat count typed, Enter on the last question), and Qt
            # would go on using the deleted editor when that handler returns.
            view.scroller.takeWidget()
            old.hide()
            old.setParent(view)
            old.deleteLater()
        view.scroller.setWidget(host)
        view.navigator.order_tabs()
        if self.pending:
            self.timer.start()

    def ensure_built(self, index: int) -> None:
        """Build page `index` now (or finish it) if scroll mode has not got there yet."""
        host = self.host
        if host is None or self.is_built(index) or not 0 <= index < len(self.view.pages):
            return
        if self.view.page_mode != "scroll":
            return  # pages mode shows one page: the view renders another instead
        anchor = self._anchor() if host.built and index < host.built[-1] else None
        self._build(index)
        self.view.navigator.order_tabs()
        if anchor is not None and index < anchor[0]:
            self._keep_anchor(anchor)

    def build_all(self) -> None:
        """Build every pending page now (for the benchmark and tests, never the UI)."""
        while self.pending:
            self.ensure_built(self.pending.popleft())
        self.timer.stop()

    def resume(self) -> None:
        if self.pending and not self.timer.isActive():
            self.timer.start()

    def _slice(self) -> None:
        host = self.host
        if host is None or not self.pending:
            self.timer.stop()
            return
        if not host.isVisible():
            # Widgets are polished when first shown: building while hidden would move that
            # cost into one long stall at the next show. `resume` starts again.
            self.timer.stop()
            return
        anchor = None
        if host.built and self.pending[0] < host.built[-1]:
            anchor = self._anchor()
        deadline = time.perf_counter() + SLICE_SECONDS
        above = False
        while self.pending and time.perf_counter() < deadline:
            index = self.pending[0]
            if self.is_built(index):
                self.pending.popleft()
                continue
            steps = self.partial.get(index) or self._begin(index)
            above = above or (anchor is not None and index < anchor[0])
            finished = True
            for _step in steps:
                if time.perf_counter() >= deadline:
                    finished = False
                    break
            self._show(index)
            if finished:
                self.partial.pop(index, None)
                self.pending.popleft()
        self.view.navigator.order_tabs()
        if above and anchor is not None:
            self._keep_anchor(anchor)
        if not self.pending:
            self.timer.stop()
            log.debug("all %d pages built", len(host.frames))

    def _build(self, index: int) -> None:
        for _step in self.partial.pop(index, None) or self._begin(index):
            pass
        self.partial.pop(index, None)
        self._show(index)

    def _show(self, index: int) -> None:
        """Show what was built of page `index`: the frame the first time (its widgets
        with it, in one pass), the new widgets of a frame shown before. Shown now, their
        polishing is paid inside the slice that built them, where its clock counts it."""
        assert self.host is not None
        if index in self.unshown:
            self.unshown.discard(index)
            page = self.view.pages[index]
            self.host.frames[index].setVisible(self.view.page_mode == "pages" or page.applies())
        else:
            for widget in self.fresh:
                # A widget that hid itself (not relevant) stays hidden.
                if not widget.testAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide):
                    widget.show()
        self.fresh.clear()

    def _begin(self, index: int) -> Iterator[None]:
        """Put page `index`'s frame in place; the steps that fill it follow."""
        view = self.view
        assert self.host is not None
        page = view.pages[index]
        frame = QFrame()
        frame.setObjectName("pageSection" if view.page_mode == "scroll" and index else "page")
        section = QVBoxLayout(frame)
        section.setContentsMargins(0, 4, 0, 4)
        frame.hide()  # until `_show`: a frame shown empty would show each widget on its own
        self.host.insert(index, frame)
        self.unshown.add(index)
        steps = self._steps(page, section)
        self.partial[index] = steps
        return steps

    def _steps(self, page: EntryPage, host: QVBoxLayout) -> Iterator[None]:
        """Fill a page, yielding after each question (or grid) so that a slice can stop."""
        view = self.view
        if page.is_repeat_page:
            assert page.container is not None and page.repeat is not None
            repeat_page = RepeatPage(view.repeats, page.container, page.repeat)
            self._add(host, repeat_page)
            view.repeat_pages.append(repeat_page)
            return
        title = wrapped_label("pageTitle")
        host.addWidget(title)
        view.section_titles.append((title, page))
        retitle(title, view.session, page)
        instance = repeat_instance_of(page.nodes[0])
        if instance is not None:
            bar = RepeatBar(view.repeats, instance)
            self._add(host, bar)
            view.repeat_bars.append(bar)
        for run in scale_runs(list(page.nodes)):
            yield
            if len(run) > 1:
                grid = GridWidget(view, run)
                self._add(host, grid)
                view.grids.append(grid)
                for row in grid.rows:
                    self._register(row)
            else:
                widget = make_widget(view, run[0])
                self._add(host, widget)
                self._register(widget)

    def _add(self, layout: QVBoxLayout, widget: QWidget) -> None:
        layout.addWidget(widget)
        self.fresh.append(widget)

    def _register(self, widget: QuestionWidget) -> None:
        view = self.view
        if view.checked:
            widget.show_required = True
            widget.refresh_message()
        widget.set_bookmarked(view.session.ref(widget.node) in view.bookmarks)
        view.widgets[widget.node] = widget

    # -- keeping the page being read in place --------------------------------------------
    def _anchor(self) -> tuple[int, int] | None:
        """(page, its frame's offset from the top of the viewport) of the page being read:
        the one with the focus when it is on screen, else the first one on screen."""
        host = self.host
        if host is None or not host.isVisible():
            return None
        top = self.view.scroller.verticalScrollBar().value()
        bottom = top + self.view.scroller.viewport().height()
        focused = host.page_at(QApplication.focusWidget())
        if focused is not None:
            frame = host.frames[focused]
            y = host.top_of(frame)
            if frame.isVisible() and y < bottom and y + frame.height() > top:
                return focused, y - top
        for index in host.built:
            frame = host.frames[index]
            y = host.top_of(frame)
            if frame.isVisible() and y + frame.height() > top:
                return index, y - top
        return None

    def _keep_anchor(self, anchor: tuple[int, int]) -> None:
        host = self.host
        assert host is not None
        # Lay out now (the scroll area resizes its contents on the same request), then
        # scroll by what was added above, before anything is painted.
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        index, offset = anchor
        self.view.scroller.verticalScrollBar().setValue(host.top_of(host.frames[index]) - offset)
