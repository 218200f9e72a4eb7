"""One lifecycle status as a CDAR message: UN/CEFACT Cross-Domain Acknowledgement and
Response D22B, as the French platforms exchange them (the "CDV" of the external
specifications, flux 6).

The message is built with lxml from a ``LifecycleMessage`` and nothing else (no clock, no
random id), so the same status gives the same bytes. Its layout follows the French
semantic model (MDT-* are its business terms) and the FNFE-MPE rules BR-FR-CDV:

- context: ``REGULATED`` process (MDT-2), guideline ``urn.cpro.gouv.fr:1p0:CDV:invoice``
  (MDT-3, BR-FR-CDV-02);
- exchanged document: the message id (MDT-4), its date-time (format 204, UTC), the buyer as
  sender and issuer (role ``BY``), the seller as recipient (role ``SE``) with its electronic
  address (MDT-73, its SIREN under scheme 0225, BR-FR-CDV-08);
- acknowledgement document: type 23 (processing phase, MDT-77), the status date-time, and
  the invoice referred to: its number (MDT-87), the status in UNCL 1373 (MDT-88), its type
  (380, 381 for a credit note), its issue date (format 102, MDG-35), the status code and
  wording (MDT-105/106), the seller's SIREN (MDT-129, scheme 0002, role ``SE``), and the
  status detail: reason code and wording (MDT-113/114, BR-FR-CDV-15), sequence number
  (MDT-124-2) and, for a partial approval or a payment, the amount (MDT-207/215).

Parties are identified by SIREN (ICD 0002) where one is known (a French SIRET's first nine
digits, or a French VAT number's last nine); a foreign party by its VAT number under the
scheme ``VA``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

from lxml import etree
from pydantic import BaseModel, ConfigDict

from invoicebot.lifecycle.statuses import LABELS, REASON_LABELS, UNCL_1373, LifecycleStatus

RSM: Final = "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
RAM: Final = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT: Final = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT: Final = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NAMESPACES: Final = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

BUSINESS_PROCESS: Final = "REGULATED"
GUIDELINE: Final = "urn.cpro.gouv.fr:1p0:CDV:invoice"
MESSAGE_NAME: Final = "Statut de cycle de vie"
PROCESSING_PHASE: Final = "23"
SIREN_SCHEME: Final = "0002"
ELECTRONIC_ADDRESS_SCHEME: Final = "0225"
VAT_SCHEME: Final = "VA"
# Characteristic type codes (MDT-207): amount approved incl. VAT, amount paid.
APPROVED_AMOUNT: Final = "MAPTTC"
PAID_AMOUNT: Final = "MPA"


class PartyId(BaseModel):
    """A party's identifier in a message: a SIREN (scheme 0002) or a VAT number (VA)."""

    model_config = ConfigDict(frozen=True)

    value: str
    scheme: str

    @property
    def is_siren(self) -> bool:
        """Return True for a SIREN."""
        return self.scheme == SIREN_SCHEME


class LifecycleMessage(BaseModel):
    """What one lifecycle message says: the status, of which invoice, between whom."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    status: LifecycleStatus
    reason_code: str | None = None
    occurred_at: datetime
    invoice_number: str
    invoice_date: date | None
    invoice_type_code: str = "380"
    seller: PartyId | None
    buyer: PartyId | None
    # The amount approved (206) or paid (211), with its characteristic type code.
    amount: Decimal | None = None
    amount_type: str | None = None
    currency: str | None = None


def party_id(*, siret: str | None = None, vat_id: str | None = None) -> PartyId | None:
    """Return a party's identifier: its SIREN from a SIRET (or SIREN) or a French VAT
    number, else its VAT number; None when neither is known."""
    if siret and re.fullmatch(r"\d{9}|\d{14}", siret):
        return PartyId(value=siret[:9], scheme=SIREN_SCHEME)
    if vat_id:
        french = re.fullmatch(r"FR[0-9A-Z]{2}(\d{9})", vat_id)
        if french:
            return PartyId(value=french[1], scheme=SIREN_SCHEME)
        return PartyId(value=vat_id, scheme=VAT_SCHEME)
    return None


def message_id(invoice_number: str, status: LifecycleStatus, occurred_at: datetime) -> str:
    """Return the message's id: the invoice number (in the characters BR-FR-01 allows),
    the status code and the status's UTC date-time, ``F2026-42_205_20261206210000``."""
    number = re.sub(r"[^A-Za-z0-9+\-_/]", "-", invoice_number).strip("-") or "invoice"
    return f"{number}_{status.value}_{_format_204(occurred_at)}"


def build_cdar(message: LifecycleMessage) -> bytes:
    """Return the CDAR D22B XML of ``message`` (UTF-8, with its declaration)."""
    root = etree.Element(_rsm("CrossDomainAcknowledgementAndResponse"), nsmap=NAMESPACES)
    context = _sub(root, _rsm("ExchangedDocumentContext"))
    _sub(_sub(context, _ram("BusinessProcessSpecifiedDocumentContextParameter")), _ram("ID"),
         BUSINESS_PROCESS)  # fmt: skip
    _sub(_sub(context, _ram("GuidelineSpecifiedDocumentContextParameter")), _ram("ID"), GUIDELINE)

    exchanged = _sub(root, _rsm("ExchangedDocument"))
    _sub(exchanged, _ram("ID"), message.message_id)
    _sub(exchanged, _ram("Name"), MESSAGE_NAME)
    _date_time(exchanged, "IssueDateTime", message.occurred_at)
    _party(exchanged, "SenderTradeParty", message.buyer, role="BY")
    _party(exchanged, "IssuerTradeParty", message.buyer, role="BY")
    _party(exchanged, "RecipientTradeParty", message.seller, role="SE", address=True)

    acknowledgement = _sub(root, _rsm("AcknowledgementDocument"))
    multiple = _sub(acknowledgement, _ram("MultipleReferencesIndicator"))
    _sub(multiple, _udt("Indicator"), "false")
    _sub(acknowledgement, _ram("TypeCode"), PROCESSING_PHASE)
    _date_time(acknowledgement, "IssueDateTime", message.occurred_at)

    referenced = _sub(acknowledgement, _ram("ReferenceReferencedDocument"))
    _sub(referenced, _ram("IssuerAssignedID"), message.invoice_number)
    _sub(referenced, _ram("StatusCode"), UNCL_1373[message.status])
    _sub(referenced, _ram("TypeCode"), message.invoice_type_code)
    if message.invoice_date is not None:
        issued = _sub(referenced, _ram("FormattedIssueDateTime"))
        _sub(issued, _qdt("DateTimeString"), message.invoice_date.strftime("%Y%m%d"),
             format="102")  # fmt: skip
    _sub(referenced, _ram("ProcessConditionCode"), message.status.value)
    _sub(referenced, _ram("ProcessCondition"), LABELS[message.status])
    _party(referenced, "IssuerTradeParty", message.seller, role="SE")

    detail = _sub(referenced, _ram("SpecifiedDocumentStatus"))
    _date_time(detail, "ReferenceDateTime", message.occurred_at)
    if message.reason_code is not None:
        _sub(detail, _ram("ReasonCode"), message.reason_code)
        _sub(detail, _ram("Reason"), REASON_LABELS.get(message.reason_code, message.reason_code))
    _sub(detail, _ram("SequenceNumeric"), "1")
    if message.amount is not None and message.amount_type is not None:
        characteristic = _sub(detail, _ram("SpecifiedDocumentCharacteristic"))
        _sub(characteristic, _ram("TypeCode"), message.amount_type)
        amount = _sub(characteristic, _ram("ValueAmount"), f"{message.amount:.2f}")
        if message.currency:
            amount.set("currencyID", message.currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _party(
    parent: etree._Element,
    name: str,
    party: PartyId | None,
    *,
    role: str,
    address: bool = False,
) -> None:
    element = _sub(parent, _ram(name))
    if party is not None:
        _sub(element, _ram("GlobalID"), party.value, schemeID=party.scheme)
    _sub(element, _ram("RoleCode"), role)
    if address and party is not None and party.is_siren:
        communication = _sub(element, _ram("URIUniversalCommunication"))
        _sub(communication, _ram("URIID"), party.value, schemeID=ELECTRONIC_ADDRESS_SCHEME)


def _date_time(parent: etree._Element, name: str, moment: datetime) -> None:
    _sub(_sub(parent, _ram(name)), _udt("DateTimeString"), _format_204(moment), format="204")


def _format_204(moment: datetime) -> str:
    """Return ``moment`` as UNTDID 2379 format 204 (CCYYMMDDHHMMSS) in UTC; a naive
    datetime is taken as UTC (SQLite returns stored times without their zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib=attributes or None)
    if text is not None:
        element.text = text
    return element


def _rsm(name: str) -> str:
    return f"{{{RSM}}}{name}"


def _ram(name: str) -> str:
    return f"{{{RAM}}}{name}"


def _udt(name: str) -> str:
    return f"{{{UDT}}}{name}"


def _qdt(name: str) -> str:
    return f"{{{QDT}}}{name}"
