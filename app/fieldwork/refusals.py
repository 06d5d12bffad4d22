"""Why a bundle was refused, said to people in the interface's language.

The importer's own reasons are English and technical (bundle parts, key
fingerprints, commands); they stay in the quarantine file, the log and the
command line. Here each kind of refusal (`Refusal`) becomes a short sentence
that says what happened and what to do, pointing to the app's screens.
"""

from __future__ import annotations

from app.bundle.errors import BundleRejected, Refusal
from app.bundle.format import KIND_COORDINATOR
from app.bundle.importer import ImportResult
from app.bundle.refused import RefusedFile
from app.core.i18n import _
from app.core.times import when_text


def refusal_text(result: ImportResult) -> str:
    """`<file>: <why it was refused>` for a refused import, in the UI's language."""
    refusal = result.refusal
    if refusal is None:  # not refused by a check (nothing else reaches here today)
        return f"{result.name}: {result.message}"
    return f"{result.name}: {_reason(refusal, result.source_name, result.kind)}"


def refused_file_text(item: RefusedFile) -> str:
    """Why a file kept in the quarantine folder was refused, in the UI's language (the
    English reason for files refused by an app that did not record the kind)."""
    if item.refusal is None:
        return item.reason
    return _reason(item.refusal, item.claimed_source, item.claimed_kind)


def _reason(refusal: BundleRejected, source: str | None, bundle_kind: str | None) -> str:
    """`source` and `bundle_kind`: as the file's header claims them, if it was read."""
    laptop = refusal.laptop or source or "?"
    number = refusal.sequence if refusal.sequence is not None else "?"
    match refusal.reason:
        case Refusal.UNKNOWN_LAPTOP if bundle_kind == KIND_COORDINATOR:
            return _(
                "sent by the coordinator “{laptop}”, whom this laptop does not trust yet: "
                "Samluat → Keys and laptops… → Trust a coordinator card…, then sync again."
            ).format(laptop=laptop)
        case Refusal.UNKNOWN_LAPTOP:
            return _(
                "sent by “{laptop}”, which is not registered on this computer. Register its "
                "card under Samluat → Keys and laptops…, then sync again."
            ).format(laptop=laptop)
        case Refusal.NOT_ITS_KEY:
            return _(
                "signed with a key that is not the registered key of “{laptop}”: it may be "
                "forged. Check with that laptop's team before using it."
            ).format(laptop=laptop)
        case Refusal.BAD_SIGNATURE:
            return _(
                "damaged or altered after “{laptop}” signed it. Ask for the file again."
            ).format(laptop=laptop)
        case Refusal.REVOKED:
            return _("“{laptop}” was revoked on {date}; its bundles are refused.").format(
                laptop=laptop, date=when_text(refusal.when) or "?"
            )
        case Refusal.NOT_A_COORDINATOR:
            return _("“{laptop}” is not a coordinator this laptop trusts.").format(laptop=laptop)
        case Refusal.FOR_ANOTHER_LAPTOP:
            return _("addressed to another laptop, not to this one.")
        case Refusal.REPLAYED:
            return _(
                "bundle {number} of “{laptop}” was already imported from another file; this "
                "copy is refused."
            ).format(number=number, laptop=laptop)
        case Refusal.NUMBER_REUSED:
            return _(
                "“{laptop}” used bundle number {number} twice. If that laptop was restored "
                "from a backup, let it sync with the coordinator's latest bundle and write a "
                "new one; if not, this file may be forged."
            ).format(laptop=laptop, number=number)
        case Refusal.OTHER_COORDINATOR:
            return _("encrypted for another coordinator's key: this computer cannot open it.")
        case Refusal.NOT_A_BUNDLE:
            return _("not a Samluat bundle.")
        case Refusal.TRUNCATED:
            return _(
                "cut short (copied before it was complete, or the disk was full). Copy it again."
            )
        case Refusal.UNREADABLE:
            return _("cannot be read ({detail}).").format(detail=refusal)
        case Refusal.NEWER_FORMAT:
            return _("written by a newer Samluat. Update this app, then sync again.")
        case Refusal.CHANGED_WHILE_READING:
            return _("changed while it was being read. Import it again once it is fully copied.")
        case Refusal.INVALID_DATA:
            return _("an interview in it does not pass its form's checks ({detail}).").format(
                detail=refusal
            )
    return _("damaged, or not written by Samluat ({detail}). Ask for the file again.").format(
        detail=refusal
    )
