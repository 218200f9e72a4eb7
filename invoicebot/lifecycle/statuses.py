"""Which lifecycle status each event of an invoice gives, and with which reason code.

The codes are those of the French lifecycle (AFNOR XP Z12-012, the DGFiP's external
specifications; the list BR-FR-CDV-CL-06 of the CDAR rules checks). A buyer sets the
processing statuses 204 to 211 (200 and 202 are the platforms', 212 "Encaissée" the
seller's); invoicebot, on the buyer's side, issues these:

- the batch stores an invoice that waits for an operator: 204 Prise en charge;
- the batch approves it straight through: 205 Approuvée (204 is then implied, not sent);
- ``approve``, or ``approve_with_corrections`` keeping the amount payable: 205 Approuvée;
- ``approve_with_corrections`` lowering the amount payable (amount due, else gross): 206
  Approuvée partiellement, with the amount approved;
- ``send_back_to_supplier``: 207 En litige; ``escalate``: 208 Suspendue; ``reject``: 210
  Refusée, each with a reason code the French rules allow for it;
- ``invoicebot lifecycle paid`` (the payment was sent): 211 Paiement transmis.

A correction that only fixes what was misread on a paper page is not a partial approval:
the supplier's invoice is approved as it stands; only a lower amount payable is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class LifecycleStatus(StrEnum):
    """A buyer-side lifecycle status code (MDT-105, ``ram:ProcessConditionCode``)."""

    TAKEN_IN_CHARGE = "204"
    APPROVED = "205"
    PARTIALLY_APPROVED = "206"
    DISPUTED = "207"
    SUSPENDED = "208"
    REFUSED = "210"
    PAYMENT_SENT = "211"


# The official French wording (MDT-106, ``ram:ProcessCondition``).
LABELS: Final[dict[LifecycleStatus, str]] = {
    LifecycleStatus.TAKEN_IN_CHARGE: "Prise en charge",
    LifecycleStatus.APPROVED: "Approuvée",
    LifecycleStatus.PARTIALLY_APPROVED: "Approuvée partiellement",
    LifecycleStatus.DISPUTED: "En litige",
    LifecycleStatus.SUSPENDED: "Suspendue",
    LifecycleStatus.REFUSED: "Refusée",
    LifecycleStatus.PAYMENT_SENT: "Paiement transmis",
}

# Short English names, for the command line and the events.
NAMES: Final[dict[LifecycleStatus, str]] = {
    LifecycleStatus.TAKEN_IN_CHARGE: "taken_in_charge",
    LifecycleStatus.APPROVED: "approved",
    LifecycleStatus.PARTIALLY_APPROVED: "partially_approved",
    LifecycleStatus.DISPUTED: "disputed",
    LifecycleStatus.SUSPENDED: "suspended",
    LifecycleStatus.REFUSED: "refused",
    LifecycleStatus.PAYMENT_SENT: "payment_sent",
}

# The same status in UNCL 1373 (MDT-88, ``ram:StatusCode``), processing phase.
UNCL_1373: Final[dict[LifecycleStatus, str]] = {
    LifecycleStatus.TAKEN_IN_CHARGE: "45",
    LifecycleStatus.APPROVED: "1",
    LifecycleStatus.PARTIALLY_APPROVED: "49",
    LifecycleStatus.DISPUTED: "46",
    LifecycleStatus.SUSPENDED: "39",
    LifecycleStatus.REFUSED: "50",
    LifecycleStatus.PAYMENT_SENT: "47",
}

# Reason codes (MDT-113) the French rules allow with each status that needs one
# (BR-FR-CDV-15: 206, 207, 208 and 210 carry a reason; BR-FR-CDV-CL-09: which ones).
ALLOWED_REASONS: Final[dict[LifecycleStatus, frozenset[str]]] = {
    LifecycleStatus.REFUSED: frozenset(
        [
            "TX_TVA_ERR",
            "MONTANTTOTAL_ERR",
            "CALCUL_ERR",
            "NON_CONFORME",
            "DOUBLON",
            "DEST_ERR",
            "TRANSAC_INC",
            "EMMET_INC",
            "CONTRAT_TERM",
            "DOUBLE_FACT",
            "CMD_ERR",
            "ADR_ERR",
            "REF_CT_ABSENT",
        ]
    ),
    LifecycleStatus.DISPUTED: frozenset(
        [
            "AUTRE",
            "COORD_BANC_ERR",
            "TX_TVA_ERR",
            "MONTANTTOTAL_ERR",
            "CALCUL_ERR",
            "NON_CONFORME",
            "DOUBLON",
            "DEST_INC",
            "DEST_ERR",
            "TRANSAC_INC",
            "EMMET_INC",
            "CONTRAT_TERM",
            "DOUBLE_FACT",
            "CMD_ERR",
            "ADR_ERR",
            "SIRET_ERR",
            "CODE_ROUTAGE_ERR",
            "REF_CT_ABSENT",
            "REF_ERR",
            "PU_ERR",
            "REM_ERR",
            "QTE_ERR",
            "ART_ERR",
            "MODPAI_ERR",
            "QUALITE_ERR",
            "LIVR_INCOMP",
        ]
    ),
    LifecycleStatus.PARTIALLY_APPROVED: frozenset(
        [
            "AUTRE",
            "CMD_ERR",
            "SIRET_ERR",
            "CODE_ROUTAGE_ERR",
            "REF_CT_ABSENT",
            "REF_ERR",
            "PU_ERR",
            "REM_ERR",
            "QTE_ERR",
            "ART_ERR",
            "MODPAI_ERR",
            "QUALITE_ERR",
            "LIVR_INCOMP",
        ]
    ),
    LifecycleStatus.SUSPENDED: frozenset(
        [
            "JUSTIF_ABS",
            "COORD_BANC_ERR",
            "CMD_ERR",
            "SIRET_ERR",
            "CODE_ROUTAGE_ERR",
            "REF_CT_ABSENT",
            "REF_ERR",
        ]
    ),
}
# The reason given when no failed rule names a more precise one the status allows.
FALLBACK_REASON: Final[dict[LifecycleStatus, str]] = {
    LifecycleStatus.REFUSED: "NON_CONFORME",
    LifecycleStatus.DISPUTED: "AUTRE",
    LifecycleStatus.PARTIALLY_APPROVED: "AUTRE",
    LifecycleStatus.SUSPENDED: "JUSTIF_ABS",
}
# Reason codes in their official wording (MDT-114, ``ram:Reason``).
REASON_LABELS: Final[dict[str, str]] = {
    "AUTRE": "Autre",
    "CALCUL_ERR": "Erreur de calcul de la facture",
    "CMD_ERR": "Référence de commande erronée",
    "COORD_BANC_ERR": "Coordonnées bancaires erronées",
    "DOUBLON": "Facture en doublon",
    "EMMET_INC": "Émetteur inconnu",
    "JUSTIF_ABS": "Justificatif absent ou insuffisant",
    "LIVR_INCOMP": "Livraison incomplète",
    "MONTANTTOTAL_ERR": "Montant total erroné",
    "NON_CONFORME": "Mentions légales non conformes",
    "PU_ERR": "Prix unitaire erroné",
    "QTE_ERR": "Quantité facturée erronée",
    "REF_CT_ABSENT": "Référence contractuelle absente",
    "SIRET_ERR": "SIRET erroné ou absent",
    "TX_TVA_ERR": "Taux de TVA erroné",
}

# A failed rule's preferred reasons, most precise first; then its category's.
_RULE_REASONS: Final[dict[str, tuple[str, ...]]] = {
    "VAT-RATE": ("TX_TVA_ERR",),
    "BR-CO-15": ("MONTANTTOTAL_ERR", "CALCUL_ERR"),
    "BR-CO-16": ("MONTANTTOTAL_ERR", "CALCUL_ERR"),
    "IBAN-CHECK": ("COORD_BANC_ERR",),
    "BIC-CHECK": ("COORD_BANC_ERR",),
    "VENDOR-BANK-DETAILS": ("COORD_BANC_ERR",),
    "SIRET-CHECK": ("SIRET_ERR",),
    "SIREN-CONSISTENCY": ("SIRET_ERR",),
    "VENDOR-UNKNOWN": ("EMMET_INC",),
    "PO-MISSING": ("REF_CT_ABSENT", "CMD_ERR"),
    "PO-UNIT-PRICE": ("PU_ERR", "CMD_ERR"),
    "PO-RECEIVED-QUANTITY": ("QTE_ERR", "LIVR_INCOMP", "CMD_ERR"),
}
_CATEGORY_REASONS: Final[dict[str, tuple[str, ...]]] = {
    "duplicate": ("DOUBLON",),
    "arithmetic": ("CALCUL_ERR",),
    "purchase_order": ("CMD_ERR",),
    "invalid_identifier": ("SIRET_ERR", "NON_CONFORME"),
    "vendor": ("NON_CONFORME",),
    "missing_field": ("NON_CONFORME",),
    "einvoice_rules": ("NON_CONFORME",),
    "date": ("NON_CONFORME",),
}

# What each operator decision (``invoicebot.review.Decision`` values) gives.
_DECISION_STATUS: Final[dict[str, LifecycleStatus]] = {
    "approve": LifecycleStatus.APPROVED,
    "approve_with_corrections": LifecycleStatus.APPROVED,
    "reject": LifecycleStatus.REFUSED,
    "send_back_to_supplier": LifecycleStatus.DISPUTED,
    "escalate": LifecycleStatus.SUSPENDED,
}


@dataclass(frozen=True)
class FailedRule:
    """A rule that failed on the invoice: its id and its exception category."""

    rule: str
    category: str


@dataclass(frozen=True)
class StatusChange:
    """A lifecycle status to issue, with its reason code when the status needs one."""

    status: LifecycleStatus
    reason_code: str | None = None

    @property
    def label(self) -> str:
        """Return the status's official French wording."""
        return LABELS[self.status]

    @property
    def reason(self) -> str | None:
        """Return the reason code's wording, None without a reason."""
        if self.reason_code is None:
            return None
        return REASON_LABELS.get(self.reason_code, self.reason_code)


def status_when_stored(*, waits_for_operator: bool) -> StatusChange:
    """Return the status the batch issues when it stores an invoice: 204 when an operator
    must decide, 205 when it is approved straight through (204 is then implied)."""
    if waits_for_operator:
        return StatusChange(LifecycleStatus.TAKEN_IN_CHARGE)
    return StatusChange(LifecycleStatus.APPROVED)


def status_for_decision(
    decision: str,
    *,
    status_after: str,
    failed: Sequence[FailedRule],
    payable_lowered: bool = False,
) -> StatusChange | None:
    """Return the status an applied operator decision issues, None when it issues none.

    ``status_after`` is the invoice's status once the decision is applied: a correction
    that still fails its rules (``exception``) leaves the invoice waiting, no status.
    ``failed`` are the rules that failed before the decision: they give the reason code.
    ``payable_lowered`` says a correction lowered the amount payable (partial approval).
    Raise ``ValueError`` for an unknown decision.
    """
    if decision not in _DECISION_STATUS:
        raise ValueError(f"unknown decision {decision!r}")
    if status_after == "exception":
        return None
    status = _DECISION_STATUS[decision]
    if decision == "approve_with_corrections" and payable_lowered:
        status = LifecycleStatus.PARTIALLY_APPROVED
    return StatusChange(status, reason_for(status, failed))


def payment_sent() -> StatusChange:
    """Return the status of a payment sent to the supplier."""
    return StatusChange(LifecycleStatus.PAYMENT_SENT)


def reason_for(status: LifecycleStatus, failed: Iterable[FailedRule]) -> str | None:
    """Return the reason code of ``status`` given the rules that failed, None when the
    status takes none: the first failed rule's most precise reason the status allows, else
    the status's fallback (``NON_CONFORME`` for a refusal, ``AUTRE``, ``JUSTIF_ABS``)."""
    allowed = ALLOWED_REASONS.get(status)
    if allowed is None:
        return None
    for item in failed:
        candidates = (
            *_RULE_REASONS.get(item.rule, ()),
            *_CATEGORY_REASONS.get(item.category, ()),
        )
        for code in candidates:
            if code in allowed:
                return code
    return FALLBACK_REASON[status]
