"""Which widget a question gets (see docs/form-support.md, "widget" column)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.engine.instance import Node
from app.engine.model import ATTACHMENT_KINDS, Kind
from app.ui.entry.widgets.base import EntryContext, QuestionWidget, question_of
from app.ui.entry.widgets.dates import DateWidget
from app.ui.entry.widgets.geo import GeoListWidget, GeoPointWidget
from app.ui.entry.widgets.grid import LikertWidget, is_scale
from app.ui.entry.widgets.media import MediaWidget
from app.ui.entry.widgets.notes import AcknowledgeWidget, NoteWidget
from app.ui.entry.widgets.numbers import NumberWidget, RangeWidget
from app.ui.entry.widgets.rank import RankWidget
from app.ui.entry.widgets.selects import select_widget_class
from app.ui.entry.widgets.text import TextWidget

_BY_KIND: dict[Kind, type[QuestionWidget]] = {
    Kind.TEXT: TextWidget,
    Kind.BARCODE: TextWidget,
    Kind.INTEGER: NumberWidget,
    Kind.DECIMAL: NumberWidget,
    Kind.RANGE: RangeWidget,
    Kind.DATE: DateWidget,
    Kind.TIME: DateWidget,
    Kind.DATETIME: DateWidget,
    Kind.RANK: RankWidget,
    Kind.NOTE: NoteWidget,
    Kind.ACKNOWLEDGE: AcknowledgeWidget,
    Kind.TRIGGER: AcknowledgeWidget,
    Kind.GEOPOINT: GeoPointWidget,
    Kind.GEOTRACE: GeoListWidget,
    Kind.GEOSHAPE: GeoListWidget,
}


def widget_class(ctx: EntryContext, node: Node) -> type[QuestionWidget]:
    question = question_of(node)
    kind = question.kind
    if kind in ATTACHMENT_KINDS:
        return MediaWidget
    if kind in (Kind.SELECT_ONE, Kind.SELECT_MULTIPLE):
        if kind is Kind.SELECT_ONE and is_scale(node) and "likert" in question.appearances():
            return LikertWidget
        count = len(ctx.session.allowed_choices(node))
        cls: type[QuestionWidget] = select_widget_class(kind, question.appearances(), count)
        return cls
    return _BY_KIND.get(kind, TextWidget)


def make_widget(ctx: EntryContext, node: Node, parent: QWidget | None = None) -> QuestionWidget:
    return widget_class(ctx, node)(ctx, node, parent)
