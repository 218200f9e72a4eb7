"""The French layouts: classic, letter and boxed."""

from __future__ import annotations

from reportlab.lib.colors import white

from samples.invoices.generate.formats import (
    Formats,
    belgian_company_line,
    belgian_legal_terms,
    format_siret,
    format_vat_id,
    french_company_line,
    french_legal_terms,
)
from samples.invoices.generate.identifiers import grouped
from samples.invoices.generate.invoices import Invoice
from samples.invoices.generate.kinds import EN_DASH
from samples.invoices.generate.sheet import (
    CONTENT_WIDTH,
    INK,
    MARGIN,
    MONO,
    MUTED,
    PAGE_WIDTH,
    RIGHT,
    RULE,
    SANS,
    SANS_BOLD,
    SERIF,
    SERIF_BOLD,
    SHADE,
    TOP,
    LineColumn,
    Sheet,
    buyer_rows,
    draw_lines_table,
    table_style,
)

# ----------------------------------------------------------------------------------------
# Layouts
# ----------------------------------------------------------------------------------------


def draw_fr_classic(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the French classic: logo and seller top-left, a key/value box under "FACTURE",
    a gridded table, a VAT breakdown beside right-aligned totals, bank details, legal footer."""
    seller, brand = invoice.seller, invoice.seller.color
    sheet.logo(MARGIN, TOP - 100, 56, seller, disc=False)
    sheet.text(MARGIN + 68, TOP - 58, seller.name, size=13, font=SANS_BOLD)
    contact = [seller.address.street, seller.address.city_line]
    contact += [f"Tél. {seller.profile.contact.phone}", seller.profile.contact.email]
    sheet.stack(MARGIN + 68, TOP - 73, contact, size=8.5, leading=11, color=MUTED)
    sheet.text(RIGHT, TOP - 62, "FACTURE", size=24, font=SANS_BOLD, color=brand, align="right")

    header = [("Facture n°", invoice.number), ("Date", formats.date(invoice.issue_date))]
    header.append(("Échéance", formats.date(invoice.due_date)))
    if invoice.po_number:
        header.append(("Bon de commande", invoice.po_number))
    header.append(("Réf. client", invoice.buyer.account))
    box_style = [
        ("BOX", (0, 0), (-1, -1), 0.8, brand),
        ("LINEBELOW", (0, 0), (-1, -2), 0.4, RULE),
        ("FONT", (0, 0), (0, -1), SANS, 9),
        ("FONT", (1, 0), (1, -1), SANS_BOLD, 9),
        ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
    ]
    box_bottom = sheet.table(
        RIGHT - 210, TOP - 82, header, (95, 115), table_style(box_style, padding=(3, 5))
    )

    client_top = min(box_bottom - 22, TOP - 190)
    sheet.text(RIGHT - 210, client_top, "CLIENT", size=7.5, font=SANS_BOLD, color=brand)
    sheet.text(RIGHT - 210, client_top - 14, invoice.buyer.name, size=10.5, font=SANS_BOLD)
    sheet.stack(RIGHT - 210, client_top - 28, buyer_rows(invoice, "N° TVA :"))

    columns = [
        LineColumn("Désignation", "description"),
        LineColumn("Qté", "quantity", 42),
        LineColumn("P.U. HT", "price", 72),
        LineColumn("TVA", "rate", 48),
        LineColumn("Montant HT", "net", 80),
    ]
    lines_style = [
        ("BACKGROUND", (0, 0), (-1, 0), brand),
        ("TEXTCOLOR", (0, 0), (-1, 0), white),
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 9),
        ("FONT", (0, 1), (-1, -1), SANS, 9),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 300, invoice, columns, lines_style, (4.5, 5))
    draw_fr_classic_totals(sheet, invoice, formats, table_bottom)
    draw_fr_classic_footer(sheet, invoice)


def draw_fr_classic_totals(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw the VAT breakdown (left) and the totals ending in a "Net à payer" bar (right)."""
    totals, brand = invoice.totals, invoice.seller.color
    vat_rows = [["Taux", "Base HT", "TVA"]]
    vat_rows += [
        [formats.rate(s.rate), formats.amount(s.base), formats.amount(s.tax)] for s in totals.vat
    ]
    vat_style = [
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8),
        ("FONT", (0, 1), (-1, -1), SANS, 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
    ]
    sheet.text(MARGIN, top - 20, "Détail de la TVA", size=8, font=SANS_BOLD, color=MUTED)
    sheet.table(
        MARGIN,
        top - 26,
        vat_rows,
        (50, 80, 70),
        table_style(vat_style, right=(1, 2), padding=(2.5, 4)),
    )

    rows = [("Total HT", formats.amount(totals.net)), ("Total TVA", formats.amount(totals.tax))]
    rows.append(("Total TTC", formats.amount(totals.gross)))
    if invoice.deposit:
        rows.append(("Acompte versé", formats.amount(invoice.deposit)))
    y = sheet.pairs(RIGHT - 200, top - 22, rows, value_x=RIGHT - 8, value_align="right", leading=15)
    bar = y - 6
    sheet.fill(RIGHT - 210, bar - 8, 210, 22, brand)
    sheet.text(RIGHT - 200, bar, "Net à payer", size=10.5, font=SANS_BOLD, color=white)
    due = formats.amount(invoice.amount_due)
    sheet.text(RIGHT - 8, bar, due, size=10.5, font=SANS_BOLD, color=white, align="right")

    bank_top = min(bar - 44, 215)
    sheet.text(MARGIN, bank_top, "Règlement par virement bancaire", font=SANS_BOLD)
    bank = invoice.seller.bank
    bank_rows = [
        ("Banque", bank.name),
        ("IBAN", grouped(invoice.printed.iban)),
        ("BIC", bank.bic),
    ]
    sheet.pairs(MARGIN, bank_top - 14, bank_rows, value_x=MARGIN + 50, size=8.5, leading=12)


def draw_fr_classic_footer(sheet: Sheet, invoice: Invoice) -> None:
    """Draw the legal footer: payment terms and penalties, company identity, page number."""
    sheet.rule(MARGIN, 112, RIGHT)
    top = sheet.paragraph(MARGIN, 104, CONTENT_WIDTH, french_legal_terms(invoice))
    sheet.paragraph(MARGIN, top - 5, CONTENT_WIDTH, french_company_line(invoice))
    sheet.text(RIGHT, 28, "Page 1 / 1", size=7, color=MUTED, align="right")


def draw_fr_letter(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the French letter: seller top-right, buyer in the envelope window, a sentence
    header "Facture n° … du …", a bordered serif table and bordered totals."""
    seller, printed = invoice.seller, invoice.printed
    sheet.logo(MARGIN, TOP - 92, 46, seller, disc=True)
    sheet.text(
        RIGHT, TOP - 56, seller.name, size=14, font=SERIF_BOLD, color=seller.color, align="right"
    )
    identity = [seller.address.street, seller.address.city_line]
    identity += [f"Tél. {seller.profile.contact.phone}", seller.profile.contact.email]
    if printed.siret:
        identity.append(f"SIRET : {format_siret(printed.siret)}")
    else:
        identity.append(f"N° d'entreprise : {format_vat_id(printed.vat_id)[3:]}")
    identity.append(f"TVA : {format_vat_id(printed.vat_id)}")
    sheet.stack(RIGHT, TOP - 72, identity, size=9.5, leading=12, font=SERIF, align="right")

    sheet.text(MARGIN + 8, TOP - 170, invoice.buyer.name, size=11, font=SERIF_BOLD)
    address = buyer_rows(invoice, "N° TVA :")
    sheet.stack(MARGIN + 8, TOP - 184, address, size=10.5, leading=13, font=SERIF)

    title = f"Facture n° {invoice.number} du {formats.date(invoice.issue_date)}"
    sheet.text(MARGIN, TOP - 268, title, size=15, font=SERIF_BOLD)
    details = [f"Date d'échéance : {formats.date(invoice.due_date)}"]
    if invoice.po_number:
        details.append(f"Votre commande n° {invoice.po_number}")
    sheet.stack(MARGIN, TOP - 286, details, size=10.5, leading=14, font=SERIF)

    columns = [
        LineColumn("Désignation", "description"),
        LineColumn("Quantité", "quantity", 52),
        LineColumn("Prix unitaire HT", "price", 82),
        LineColumn("Taux TVA", "rate", 52),
        LineColumn("Total HT", "net", 78),
    ]
    lines_style = [
        ("FONT", (0, 0), (-1, 0), SERIF_BOLD, 10),
        ("FONT", (0, 1), (-1, -1), SERIF, 10),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("GRID", (0, 0), (-1, -1), 0.7, INK),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 326, invoice, columns, lines_style)
    draw_fr_letter_totals(sheet, invoice, formats, table_bottom)
    draw_fr_letter_footer(sheet, invoice)


def draw_fr_letter_totals(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw the bordered totals (one VAT row per rate) and the payment sentence."""
    totals, bank = invoice.totals, invoice.seller.bank
    rows = [["Montant HT", formats.amount(totals.net)]]
    rows += [[f"TVA {formats.rate(s.rate)}", formats.amount(s.tax)] for s in totals.vat]
    if len(totals.vat) > 1:
        rows.append(["Total TVA", formats.amount(totals.tax)])
    rows.append(["Montant TTC", formats.amount(totals.gross)])
    if invoice.deposit:
        rows.append(["Acompte versé", formats.amount(invoice.deposit)])
    rows.append(["Net à payer", formats.amount(invoice.amount_due)])
    style = [
        ("FONT", (0, 0), (-1, -1), SERIF, 10),
        ("FONT", (0, -1), (-1, -1), SERIF_BOLD, 11),
        ("BACKGROUND", (0, -1), (-1, -1), SHADE),
        ("GRID", (0, 0), (-1, -1), 0.7, INK),
    ]
    bottom = sheet.table(RIGHT - 220, top - 16, rows, (120, 100), table_style(style, right=[1]))

    payment = (
        f"Règlement par virement au plus tard le {formats.date(invoice.due_date)}, en "
        f"rappelant le numéro de facture. Coordonnées bancaires : {bank.name} {EN_DASH} "
        f"IBAN {grouped(invoice.printed.iban)} {EN_DASH} BIC {bank.bic}."
    )
    sheet.paragraph(
        MARGIN,
        min(bottom - 22, 190),
        CONTENT_WIDTH,
        payment,
        size=10,
        font=SERIF,
        color=INK,
        centred=False,
    )


def draw_fr_letter_footer(sheet: Sheet, invoice: Invoice) -> None:
    """Draw the legal footer of a French or Belgian seller."""
    if invoice.seller.country == "BE":
        terms, identity = belgian_legal_terms(invoice), belgian_company_line(invoice)
    else:
        terms, identity = french_legal_terms(invoice), french_company_line(invoice)
    sheet.rule(MARGIN, 110, RIGHT, color=invoice.seller.color)
    top = sheet.paragraph(MARGIN, 102, CONTENT_WIDTH, terms, size=7.5, font=SERIF)
    sheet.paragraph(MARGIN, top - 4, CONTENT_WIDTH, identity, size=7.5, font=SERIF)


def draw_fr_boxed(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the French ERP print: a coloured band, one boxed row of header fields, a
    referenced lines table, then VAT, payment and totals boxes side by side."""
    seller, printed = invoice.seller, invoice.printed
    sheet.fill(0, TOP - 70, PAGE_WIDTH, 70, seller.color)
    sheet.text(MARGIN, TOP - 42, seller.name, size=17, font=SANS_BOLD, color=white)
    sheet.text(RIGHT, TOP - 44, "FACTURE", size=20, font=SANS_BOLD, color=white, align="right")
    identity = [seller.address.street, seller.address.city_line]
    identity += [f"Tél. {seller.profile.contact.phone}", f"SIRET {printed.siret}"]
    identity.append(f"TVA {printed.vat_id}")
    sheet.stack(MARGIN, TOP - 92, identity, size=8.5, leading=11.5, color=MUTED)

    sheet.frame(RIGHT - 235, TOP - 178, 235, 92, 0.8)
    sheet.text(RIGHT - 227, TOP - 98, "Adresse de facturation", size=7.5, color=MUTED)
    sheet.text(RIGHT - 227, TOP - 113, invoice.buyer.name, size=10, font=SANS_BOLD)
    sheet.stack(RIGHT - 227, TOP - 126, buyer_rows(invoice, "TVA"), leading=11.5)

    labels = ["N° de facture", "Date", "Échéance", "N° client", "Réf. commande"]
    values = [invoice.number, formats.date(invoice.issue_date), formats.date(invoice.due_date)]
    values += [invoice.buyer.account, invoice.po_number or ""]
    header_style = [
        ("GRID", (0, 0), (-1, -1), 0.8, INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("FONT", (0, 0), (-1, 0), SANS, 7.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
        ("FONT", (0, 1), (-1, 1), MONO, 10),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
    ]
    widths = [CONTENT_WIDTH / 5] * 5
    sheet.table(MARGIN, TOP - 200, [labels, values], widths, table_style(header_style))

    columns = [
        LineColumn("Réf.", "reference", 68),
        LineColumn("Désignation", "description"),
        LineColumn("Qté", "quantity", 36),
        LineColumn("P.U. HT", "price", 64),
        LineColumn("Montant HT", "net", 72),
        LineColumn("TVA %", "rate", 42),
    ]
    lines_style = [
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8),
        ("FONT", (0, 1), (-1, -1), SANS, 8.5),
        ("FONT", (0, 1), (0, -1), MONO, 8),
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBEFORE", (1, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 262, invoice, columns, lines_style)
    draw_fr_boxed_summary(sheet, invoice, formats, table_bottom - 18)
    sheet.rule(MARGIN, 112, RIGHT)
    top = sheet.paragraph(MARGIN, 104, CONTENT_WIDTH, french_legal_terms(invoice))
    sheet.paragraph(MARGIN, top - 5, CONTENT_WIDTH, french_company_line(invoice))


def draw_fr_boxed_summary(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw the three boxes under the lines (VAT bases, payment terms, totals) and the bank."""
    totals = invoice.totals
    vat_rows = [["Base HT", "Taux", "Montant TVA"]]
    vat_rows += [
        [formats.number(s.base), formats.rate(s.rate), formats.number(s.tax)] for s in totals.vat
    ]
    vat_style = [
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("FONT", (0, 0), (-1, 0), SANS, 7.5),
        ("FONT", (0, 1), (-1, -1), MONO, 8.5),
    ]
    sheet.table(
        MARGIN, top, vat_rows, (62, 42, 66), table_style(vat_style, right=(0, 1, 2), padding=(3, 4))
    )

    payment_rows = [
        ["Mode de règlement", "Virement"],
        ["Conditions", f"{invoice.payment_days} jours net"],
        ["Date d'échéance", formats.date(invoice.due_date)],
    ]
    payment_style = [
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("FONT", (0, 0), (0, -1), SANS, 7.5),
        ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
        ("FONT", (1, 0), (1, -1), SANS, 8.5),
    ]
    sheet.table(
        MARGIN + 180, top, payment_rows, (78, 72), table_style(payment_style, padding=(3, 4))
    )

    rows = [["Total HT", formats.number(totals.net)], ["Total TVA", formats.number(totals.tax)]]
    rows.append(["Total TTC", formats.number(totals.gross)])
    if invoice.deposit:
        rows.append(["Acompte", formats.number(invoice.deposit)])
    rows.append(["NET À PAYER (EUR)", formats.number(invoice.amount_due)])
    totals_style = [
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
        ("FONT", (0, 0), (0, -2), SANS, 8.5),
        ("FONT", (1, 0), (1, -2), MONO, 9),
        ("FONT", (0, -1), (0, -1), SANS_BOLD, 8.5),
        ("FONT", (1, -1), (1, -1), SANS_BOLD, 10),
        ("BACKGROUND", (0, -1), (-1, -1), SHADE),
    ]
    bottom = sheet.table(
        RIGHT - 165, top, rows, (95, 70), table_style(totals_style, right=[1], padding=(3.5, 4))
    )

    bank, account = invoice.seller.bank, grouped(invoice.printed.iban)
    line = f"Domiciliation : {bank.name}   IBAN : {account}   BIC : {bank.bic}"
    sheet.text(MARGIN, min(bottom - 24, 150), line, size=8.5, font=SANS_BOLD)
