"""Blocking reasons worded for people: the one place where a rule's code and figures become
text, through gettext (the rules stay pure and return codes).

Also the JSON form a reason takes in a jury's frozen snapshot, so that a PV is worded in the
reader's language from the figures the jury saw.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attendance.rules import format_rate
from enrolment.rules import JuryDecision, format_euros
from grading.rules import format_grade
from lib.numbers import plain, plain_percent

from .rules import Reason, ReasonCode


def _keys(keys: Iterable[str]) -> str:
    return ", ".join(keys)


def _ue_pending(reason: Reason) -> str:
    # Same wording (and msgids) as grading.lines.waiting_for on the grades page.
    waits = []
    if reason.no_assessment:
        waits.append(_("aucune évaluation prévue"))
    if reason.missing:
        waits.append(_("aucune note pour %(keys)s") % {"keys": _keys(reason.missing)})
    if reason.makeup_pending:
        waits.append(_("rattrapage attendu pour %(keys)s") % {"keys": _keys(reason.makeup_pending)})
    return _("UE %(ue)s en attente : %(waits)s") % {
        "ue": reason.ue or reason.subject,
        "waits": " ; ".join(waits),
    }


def _absence(reason: Reason) -> str:
    values = {
        "rate": format_rate(reason.rate if reason.rate is not None else Decimal(0)),
        "threshold": plain_percent(reason.threshold_pct),
        "missed": reason.missed_minutes,
        "held": reason.held_minutes,
    }
    return (
        ngettext(
            "Taux d'absence %(rate)s > %(threshold)s (%(missed)s min manquée sur %(held)s min)",
            "Taux d'absence %(rate)s > %(threshold)s (%(missed)s min manquées sur %(held)s min)",
            reason.missed_minutes,
        )
        % values
    )


def _fees(reason: Reason) -> str:
    balance = reason.balance if reason.balance is not None else Decimal(0)
    # French agrees « 1,50 € reste dû » but « 2,00 € restent dus »: whole euros decide.
    return ngettext("%(amount)s reste dû", "%(amount)s restent dus", int(balance)) % {
        "amount": format_euros(balance)
    }


def reason_text(reason: Reason) -> str:
    """One reason in the active language, with its figures in French typography."""
    kind = reason.kind
    if kind == ReasonCode.MAKEUP_PENDING:
        return _("Rattrapage en attente pour %(key)s") % {"key": reason.subject}
    if kind == ReasonCode.DEFAILLANT_MISSED:
        return _("Non composé : %(key)s (défaillant)") % {"key": reason.subject}
    if kind == ReasonCode.UE_PENDING:
        return _ue_pending(reason)
    if kind == ReasonCode.UE_FAILED:
        return _("UE %(ue)s : moyenne %(average)s < %(pass_mark)s") % {
            "ue": reason.ue or reason.subject,
            "average": format_grade(reason.average),
            "pass_mark": plain(reason.pass_mark),
        }
    if kind == ReasonCode.DEFAILLANT_ABSENCE:
        return _absence(reason)
    if kind == ReasonCode.FEES_UNPAID:
        return _fees(reason)
    if kind == ReasonCode.NO_JURY:
        return _("Le jury n'a pas encore délibéré.")
    decision = reason.decision.label if reason.decision is not None else ""
    return _("Décision du jury : %(decision)s (seule la décision « admis » y donne droit).") % {
        "decision": decision
    }


def reason_texts(reasons: Iterable[Reason]) -> list[str]:
    return [reason_text(reason) for reason in reasons]


# ---- The frozen form (jury snapshots) ---------------------------------------------------

_DECIMALS = ("average", "pass_mark", "rate", "threshold_pct", "balance")
_TUPLES = ("missing", "makeup_pending")


def reason_data(reason: Reason) -> dict[str, Any]:
    """JSON-safe: the code and the figures that are set; numbers as strings."""
    data: dict[str, Any] = {"code": reason.code}
    if reason.ue:
        data["ue"] = reason.ue
    for name in _DECIMALS:
        value = getattr(reason, name)
        if value is not None:
            data[name] = str(value)
    for name in _TUPLES:
        if getattr(reason, name):
            data[name] = list(getattr(reason, name))
    if reason.no_assessment:
        data["no_assessment"] = True
    if reason.missed_minutes or reason.held_minutes:
        data["missed_minutes"] = reason.missed_minutes
        data["held_minutes"] = reason.held_minutes
    if reason.decision is not None:
        data["decision"] = reason.decision.value
    return data


def _decimal(data: Mapping[str, Any], name: str) -> Decimal | None:
    value = data.get(name)
    return None if value is None else Decimal(value)


def reason_from_data(data: Mapping[str, Any]) -> Reason:
    """The reason ``reason_data`` froze."""
    decision = data.get("decision")
    return Reason(
        data["code"],
        ue=data.get("ue", ""),
        average=_decimal(data, "average"),
        pass_mark=_decimal(data, "pass_mark"),
        no_assessment=bool(data.get("no_assessment", False)),
        missing=tuple(data.get("missing", ())),
        makeup_pending=tuple(data.get("makeup_pending", ())),
        rate=_decimal(data, "rate"),
        threshold_pct=_decimal(data, "threshold_pct"),
        missed_minutes=int(data.get("missed_minutes", 0)),
        held_minutes=int(data.get("held_minutes", 0)),
        balance=_decimal(data, "balance"),
        decision=JuryDecision(decision) if decision else None,
    )
