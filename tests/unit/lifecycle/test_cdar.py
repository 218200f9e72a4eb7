"""The CDAR message of a lifecycle status: well-formed, deterministic, complete, and within
the French CDV rules (BR-FR-CDV of the FNFE-MPE, checked here as XPath: no CDAR XSD or
schematron ships in a package on this machine)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from invoicebot.lifecycle.cdar import (
    NAMESPACES,
    LifecycleMessage,
    PartyId,
    build_cdar,
    message_id,
    party_id,
)
from invoicebot.lifecycle.statuses import ALLOWED_REASONS, LifecycleStatus, reason_for

PARIS = timezone(timedelta(hours=1))
DECIDED = datetime(2026, 12, 6, 22, 30, 5, tzinfo=PARIS)  # 21:30:05 UTC
SELLER = PartyId(value="732829320", scheme="0002")
BUYER = PartyId(value="552100554", scheme="0002")


ROOT = "/rsm:CrossDomainAcknowledgementAndResponse"
CONTEXT = f"{ROOT}/rsm:ExchangedDocumentContext"
EXCHANGED = f"{ROOT}/rsm:ExchangedDocument"
ACKNOWLEDGEMENT = f"{ROOT}/rsm:AcknowledgementDocument"
REFERENCE = f"{ACKNOWLEDGEMENT}/ram:ReferenceReferencedDocument"
DETAIL = f"{REFERENCE}/ram:SpecifiedDocumentStatus"
RSM_TAG = "{urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100}"


def message(status: LifecycleStatus, **changes: object) -> LifecycleMessage:
    values: dict[str, object] = {
        "message_id": message_id("F2026/0042", status, DECIDED),
        "status": status,
        "reason_code": reason_for(status, []),
        "occurred_at": DECIDED,
        "invoice_number": "F2026/0042",
        "invoice_date": date(2026, 11, 2),
        "seller": SELLER,
        "buyer": BUYER,
    }
    return LifecycleMessage.model_validate(values | changes)


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(value) for value in root.xpath(path, namespaces=NAMESPACES)]


def test_a_refusal_carries_the_invoice_the_parties_the_code_the_time_and_the_reason() -> None:
    root = parse(build_cdar(message(LifecycleStatus.REFUSED, reason_code="DOUBLON")))
    assert root.tag == f"{RSM_TAG}CrossDomainAcknowledgementAndResponse"
    issued = f"{REFERENCE}/ram:FormattedIssueDateTime/qdt:DateTimeString"
    assert texts(root, f"{REFERENCE}/ram:IssuerAssignedID/text()") == ["F2026/0042"]
    assert texts(root, f"{issued}/text()") == ["20261102"]
    assert texts(root, f"{issued}/@format") == ["102"]
    assert texts(root, f"{REFERENCE}/ram:ProcessConditionCode/text()") == ["210"]
    assert texts(root, f"{REFERENCE}/ram:ProcessCondition/text()") == ["Refusée"]
    assert texts(root, f"{REFERENCE}/ram:StatusCode/text()") == ["50"]
    assert texts(root, f"{DETAIL}/ram:ReasonCode/text()") == ["DOUBLON"]
    assert texts(root, f"{DETAIL}/ram:Reason/text()") == ["Facture en doublon"]
    assert texts(root, f"{REFERENCE}/ram:IssuerTradeParty/ram:GlobalID/text()") == ["732829320"]
    assert texts(root, f"{EXCHANGED}/ram:SenderTradeParty/ram:GlobalID/text()") == ["552100554"]
    assert texts(root, f"{EXCHANGED}/ram:SenderTradeParty/ram:RoleCode/text()") == ["BY"]
    recipient = f"{EXCHANGED}/ram:RecipientTradeParty"
    assert texts(root, f"{recipient}/ram:GlobalID/text()") == ["732829320"]
    # Date-times are UTC, format 204, whatever the zone they were recorded in.
    stamp = f"{EXCHANGED}/ram:IssueDateTime/udt:DateTimeString/text()"
    assert texts(root, stamp) == ["20261206213005"]
    assert texts(root, f"{EXCHANGED}/ram:ID/text()") == ["F2026/0042_210_20261206213005"]


def test_the_same_status_gives_the_same_bytes() -> None:
    first = build_cdar(message(LifecycleStatus.APPROVED))
    assert build_cdar(message(LifecycleStatus.APPROVED)) == first
    assert first.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert build_cdar(message(LifecycleStatus.DISPUTED)) != first


def test_text_from_the_invoice_is_escaped_not_markup() -> None:
    data = build_cdar(message(LifecycleStatus.APPROVED, invoice_number="A<B&C</ram:ID>"))
    root = parse(data)
    assert texts(root, f"{REFERENCE}/ram:IssuerAssignedID/text()") == ["A<B&C</ram:ID>"]
    assert re.fullmatch(
        r"[A-Za-z0-9+\-_/]+", texts(root, "//rsm:ExchangedDocument/ram:ID/text()")[0]
    )


def test_a_partial_approval_and_a_payment_carry_their_amount() -> None:
    partial = message(
        LifecycleStatus.PARTIALLY_APPROVED,
        amount=Decimal("1200.5"),
        amount_type="MAPTTC",
        currency="EUR",
    )
    root = parse(build_cdar(partial))
    characteristic = f"{DETAIL}/ram:SpecifiedDocumentCharacteristic"
    assert texts(root, f"{characteristic}/ram:TypeCode/text()") == ["MAPTTC"]
    assert texts(root, f"{characteristic}/ram:ValueAmount/text()") == ["1200.50"]
    assert texts(root, f"{characteristic}/ram:ValueAmount/@currencyID") == ["EUR"]
    approved = parse(build_cdar(message(LifecycleStatus.APPROVED)))
    assert texts(approved, f"{characteristic}/ram:TypeCode/text()") == []


@pytest.mark.parametrize("status", list(LifecycleStatus))
def french_cdv_checks() -> dict[str, str]:
    """Return the BR-FR-CDV rules a buyer's status message must keep, as XPath tests."""
    phase_codes = ("45", "39", "37", "50", "49", "47", "46", "1", "5")
    return {
        "BR-FR-CDV-02": f"{CONTEXT}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
        " = 'urn.cpro.gouv.fr:1p0:CDV:invoice'",
        "BR-FR-CDV-CL-01": f"{CONTEXT}/ram:BusinessProcessSpecifiedDocumentContextParameter"
        "/ram:ID = 'REGULATED'",
        "BR-FR-CDV-03": f"boolean({EXCHANGED}/ram:ID)",
        "BR-FR-CDV-04": f"boolean({EXCHANGED}/ram:IssueDateTime)",
        "BR-FR-CDV-06": f"boolean({EXCHANGED}/ram:SenderTradeParty/ram:RoleCode)",
        "BR-FR-CDV-07": f"boolean({EXCHANGED}/ram:IssuerTradeParty/ram:GlobalID)",
        "BR-FR-CDV-08": f"boolean({EXCHANGED}/ram:RecipientTradeParty"
        "/ram:URIUniversalCommunication/ram:URIID)",
        "BR-FR-CDV-09": f"{ACKNOWLEDGEMENT}/ram:TypeCode = '23'",
        "BR-FR-CDV-10": f"boolean({REFERENCE}/ram:IssuerAssignedID)",
        "BR-FR-CDV-11": f"boolean({REFERENCE}/ram:FormattedIssueDateTime)",
        "BR-FR-CDV-12": f"boolean({REFERENCE}/ram:ProcessConditionCode)",
        "BR-FR-CDV-13": f"{REFERENCE}/ram:IssuerTradeParty/ram:GlobalID[@schemeID='0002'] != ''",
        "BR-FR-CDV-16": f"boolean({DETAIL}/ram:SequenceNumeric)",
        "BR-FR-CDV-CL-02": f"{EXCHANGED}/ram:SenderTradeParty/ram:RoleCode = 'BY'",
        "BR-FR-CDV-CL-05": " or ".join(
            f"{REFERENCE}/ram:StatusCode = '{code}'" for code in phase_codes
        ),
        "BR-FR-CDV-CL-07": f"{REFERENCE}/ram:IssuerTradeParty/ram:RoleCode = 'SE'",
    }


@pytest.mark.parametrize("status", list(LifecycleStatus))
def test_every_status_keeps_the_french_cdv_rules(status: LifecycleStatus) -> None:
    root = parse(build_cdar(message(status)))
    failed = [
        rule
        for rule, test in french_cdv_checks().items()
        if not root.xpath(test, namespaces=NAMESPACES)
    ]
    assert failed == []
    assert texts(root, f"{REFERENCE}/ram:ProcessConditionCode/text()") == [status.value]
    reason = texts(root, f"{DETAIL}/ram:ReasonCode/text()")
    if status in ALLOWED_REASONS:  # BR-FR-CDV-15 and BR-FR-CDV-CL-09
        assert len(reason) == 1 and reason[0] in ALLOWED_REASONS[status]
    else:
        assert reason == []


def test_parties_are_told_by_siren_where_one_is_known() -> None:
    assert party_id(siret="73282932000074") == PartyId(value="732829320", scheme="0002")
    assert party_id(siret="732829320") == PartyId(value="732829320", scheme="0002")
    assert party_id(vat_id="FR44732829320") == PartyId(value="732829320", scheme="0002")
    assert party_id(vat_id="DE123456789") == PartyId(value="DE123456789", scheme="VA")
    assert party_id() is None


def test_a_message_id_keeps_to_the_characters_the_french_rules_allow() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (
        message_id("F 2026/42", LifecycleStatus.APPROVED, moment) == "F-2026/42_205_20260102030405"
    )
    assert message_id("  ", LifecycleStatus.REFUSED, moment) == "invoice_210_20260102030405"
