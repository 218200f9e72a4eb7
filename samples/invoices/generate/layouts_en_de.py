"""The English and German layouts: modern, ledger and standard."""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth

from samples.invoices.generate.formats import (
    Formats,
    english_company_line,
    english_legal_terms,
    format_vat_id,
)
from samples.invoices.generate.identifiers import grouped
from samples.invoices.generate.invoices import Invoice
from samples.invoices.generate.sheet import (
    CONTENT_WIDTH,
    INK,
    MARGIN,
    MUTED,
    PAGE_WIDTH,
    RIGHT,
    RULE,
    SANS,
    SANS_BOLD,
    SHADE,
    TOP,
    LineColumn,
    Sheet,
    buyer_rows,
    draw_lines_table,
    table_style,
)


def draw_en_modern(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the English modern template: a big INVOICE title top-left, seller top-right, an
    "Amount due" highlight, a rule-only table and a payment-details footer."""
    seller, brand = invoice.seller, invoice.seller.color
    sheet.fill(0, TOP - 12, PAGE_WIDTH, 12, brand)
    sheet.text(MARGIN, TOP - 70, "INVOICE", size=30, font=SANS_BOLD, color=brand)
    header = [("Invoice #", invoice.number), ("Issue date", formats.date(invoice.issue_date))]
    header.append(("Due date", formats.date(invoice.due_date)))
    if invoice.po_number:
        header.append(("PO number", invoice.po_number))
    sheet.pairs(MARGIN, TOP - 98, header, value_x=MARGIN + 72, size=9.5, leading=14)

    sheet.logo(RIGHT - 36, TOP - 78, 36, seller, disc=True)
    sheet.text(RIGHT - 46, TOP - 52, seller.name, size=12, font=SANS_BOLD, align="right")
    identity = [seller.address.street, seller.address.city_line, seller.profile.contact.email]
    identity.append(f"VAT No. {format_vat_id(invoice.printed.vat_id)}")
    sheet.stack(RIGHT - 46, TOP - 66, identity, size=8.5, leading=11, color=MUTED, align="right")

    sheet.text(MARGIN, TOP - 180, "BILL TO", size=7.5, font=SANS_BOLD, color=brand)
    sheet.text(MARGIN, TOP - 195, invoice.buyer.name, size=11, font=SANS_BOLD)
    sheet.stack(MARGIN, TOP - 209, buyer_rows(invoice, "VAT:"))

    sheet.canvas.setFillColor(SHADE)
    sheet.canvas.roundRect(RIGHT - 200, TOP - 236, 200, 64, 6, stroke=0, fill=1)
    due = formats.amount(invoice.amount_due)
    sheet.text(RIGHT - 186, TOP - 190, "Amount due", color=MUTED)
    sheet.text(RIGHT - 186, TOP - 212, due, size=18, font=SANS_BOLD, color=brand)
    due_on = f"Due {formats.date(invoice.due_date)}"
    sheet.text(RIGHT - 186, TOP - 228, due_on, size=8.5, color=MUTED)

    columns = [
        LineColumn("DESCRIPTION", "description"),
        LineColumn("QTY", "quantity", 40),
        LineColumn("UNIT PRICE", "price", 72),
        LineColumn("VAT", "rate", 44),
        LineColumn("AMOUNT", "net", 80),
    ]
    lines_style = [
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 7.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
        ("FONT", (0, 1), (-1, -1), SANS, 9.5),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, brand),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 270, invoice, columns, lines_style, (6, 2))
    draw_en_modern_totals(sheet, invoice, formats, table_bottom)
    draw_en_modern_footer(sheet, invoice)


def draw_en_modern_totals(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw the right-aligned totals under a coloured rule ending in "Amount due"."""
    totals = invoice.totals
    rows = [("Subtotal", formats.amount(totals.net))]
    rows += [(f"VAT {formats.rate(s.rate)}", formats.amount(s.tax)) for s in totals.vat]
    if len(totals.vat) > 1:
        rows.append(("Total VAT", formats.amount(totals.tax)))
    rows.append(("Total", formats.amount(totals.gross)))
    if invoice.deposit:
        rows.append(("Deposit paid", formats.amount(invoice.deposit)))
    y = sheet.pairs(
        RIGHT - 190, top - 24, rows, value_x=RIGHT - 2, value_align="right", size=9.5, leading=16
    )
    sheet.rule(RIGHT - 190, y + 11, RIGHT, color=invoice.seller.color, width=1.2)
    due = formats.amount(invoice.amount_due)
    sheet.text(RIGHT - 190, y - 4, "Amount due", size=11, font=SANS_BOLD)
    sheet.text(RIGHT - 2, y - 4, due, size=11, font=SANS_BOLD, align="right")


def draw_en_modern_footer(sheet: Sheet, invoice: Invoice) -> None:
    """Draw the payment details, a thank-you note and the legal footer."""
    brand, bank = invoice.seller.color, invoice.seller.bank
    sheet.text(MARGIN, 178, "Payment details", font=SANS_BOLD, color=brand)
    payment = [
        ("Bank", bank.name),
        ("IBAN", grouped(invoice.printed.iban)),
        ("BIC", bank.bic),
        ("Reference", invoice.number),
    ]
    sheet.pairs(MARGIN, 163, payment, value_x=MARGIN + 60, size=8.5, leading=12)
    thanks = "Thank you for your business!"
    sheet.text(RIGHT, 163, thanks, font=SANS_BOLD, color=brand, align="right")
    sheet.rule(MARGIN, 100, RIGHT)
    top = sheet.paragraph(MARGIN, 92, CONTENT_WIDTH, english_legal_terms(invoice))
    sheet.paragraph(MARGIN, top - 5, CONTENT_WIDTH, english_company_line(invoice))


def draw_en_ledger(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the English bordered ledger: seller top-left, a bordered box with "Invoice No."
    and "Your order", a numbered grid table, a VAT analysis and bordered totals."""
    seller = invoice.seller
    sheet.logo(MARGIN, TOP - 84, 40, seller, disc=False)
    sheet.text(MARGIN + 50, TOP - 58, seller.name, size=13, font=SANS_BOLD)
    contact = seller.profile.contact
    identity = [
        f"{seller.address.street}, {seller.address.city_line}",
        f"Tel {contact.phone}  ·  {contact.email}",
        f"VAT Reg. No.: {format_vat_id(invoice.printed.vat_id)}",
    ]
    sheet.stack(MARGIN + 50, TOP - 72, identity, size=8.5, leading=11)

    sheet.text(RIGHT, TOP - 110, "Sales Invoice", size=16, font=SANS_BOLD, align="right")
    header = [
        ["Invoice No.", invoice.number],
        ["Invoice date", formats.date(invoice.issue_date)],
        ["Due date", formats.date(invoice.due_date)],
        ["Your order", invoice.po_number or "-"],
        ["Account", invoice.buyer.account],
    ]
    header_style = [
        ("GRID", (0, 0), (-1, -1), 0.6, INK),
        ("FONT", (0, 0), (0, -1), SANS_BOLD, 8.5),
        ("FONT", (1, 0), (1, -1), SANS, 9),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
    ]
    sheet.table(
        RIGHT - 200, TOP - 120, header, (85, 115), table_style(header_style, padding=(3, 5))
    )

    sheet.frame(MARGIN, TOP - 222, 230, 102, 0.6)
    sheet.text(MARGIN + 8, TOP - 134, "Invoice to:", size=8, font=SANS_BOLD, color=MUTED)
    sheet.text(MARGIN + 8, TOP - 149, invoice.buyer.name, size=10, font=SANS_BOLD)
    sheet.stack(MARGIN + 8, TOP - 162, buyer_rows(invoice, "VAT No.:"))

    columns = [
        LineColumn("Item", "position", 32),
        LineColumn("Description", "description"),
        LineColumn("Qty", "quantity", 40),
        LineColumn("Unit price", "price", 70),
        LineColumn("VAT %", "rate", 44),
        LineColumn("Net amount", "net", 78),
    ]
    lines_style = [
        ("GRID", (0, 0), (-1, -1), 0.6, INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8.5),
        ("FONT", (0, 1), (-1, -1), SANS, 9),
        ("ALIGN", (0, 0), (0, -1), "CENTER"),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 250, invoice, columns, lines_style)
    draw_en_ledger_totals(sheet, invoice, formats, table_bottom)
    draw_en_ledger_footer(sheet, invoice)


def draw_en_ledger_totals(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw the VAT analysis (left) and the bordered totals, with a balance after a deposit."""
    totals = invoice.totals
    analysis = [["VAT rate", "Net", "VAT"]]
    analysis += [
        [formats.rate(s.rate), formats.amount(s.base), formats.amount(s.tax)] for s in totals.vat
    ]
    analysis_style = [
        ("GRID", (0, 0), (-1, -1), 0.5, INK),
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8),
        ("FONT", (0, 1), (-1, -1), SANS, 8.5),
    ]
    sheet.text(MARGIN, top - 20, "VAT analysis", size=8.5, font=SANS_BOLD)
    sheet.table(
        MARGIN,
        top - 26,
        analysis,
        (55, 90, 80),
        table_style(analysis_style, right=(1, 2), padding=(3, 5)),
    )

    rows = [["Net amount", formats.amount(totals.net)], ["Tax", formats.amount(totals.tax)]]
    rows.append(["Total due", formats.amount(totals.gross)])
    if invoice.deposit:
        rows.append(["Deposit received", formats.amount(invoice.deposit)])
        rows.append(["Balance due", formats.amount(invoice.amount_due)])
    totals_style = [
        ("GRID", (0, 0), (-1, -1), 0.6, INK),
        ("FONT", (0, 0), (0, -1), SANS_BOLD, 9),
        ("FONT", (1, 0), (1, -1), SANS, 9.5),
        ("FONT", (0, -1), (-1, -1), SANS_BOLD, 10),
        ("BACKGROUND", (0, -1), (-1, -1), SHADE),
    ]
    sheet.table(RIGHT - 200, top - 14, rows, (95, 105), table_style(totals_style, right=[1]))


def draw_en_ledger_footer(sheet: Sheet, invoice: Invoice) -> None:
    """Draw the remittance line, payment terms and the registered-company footer."""
    seller = invoice.seller
    bank = (
        f"Please pay by bank transfer to {seller.name}, {seller.bank.name}. "
        f"IBAN: {grouped(invoice.printed.iban)}   SWIFT/BIC: {seller.bank.bic}"
    )
    sheet.rule(MARGIN, 118, RIGHT, color=INK)
    top = sheet.paragraph(MARGIN, 110, CONTENT_WIDTH, bank, size=8, color=INK)
    top = sheet.paragraph(MARGIN, top - 5, CONTENT_WIDTH, english_legal_terms(invoice))
    sheet.paragraph(MARGIN, top - 4, CONTENT_WIDTH, english_company_line(invoice))


def draw_de_standard(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the German DIN 5008 letter: wordmark top-right, sender line over the address
    window, an information block, a "Pos." table, "zzgl. USt." totals, 3-column footer."""
    seller, brand = invoice.seller, invoice.seller.color
    sheet.text(RIGHT, TOP - 60, seller.name, size=15, font=SANS_BOLD, color=brand, align="right")
    sheet.fill(RIGHT - 120, TOP - 70, 120, 3, brand)

    sender = f"{seller.name} · {seller.address.street} · {seller.address.city_line}"
    sheet.text(MARGIN + 10, TOP - 128, sender, size=6.5, color=MUTED)
    sender_end = MARGIN + 10 + stringWidth(sender, SANS, 6.5)
    sheet.rule(MARGIN + 10, TOP - 131, sender_end, color=MUTED, width=0.4)
    sheet.text(MARGIN + 10, TOP - 148, invoice.buyer.name, size=10.5)
    address = buyer_rows(invoice, "USt-IdNr.:")
    sheet.stack(MARGIN + 10, TOP - 161, address, size=10.5, leading=13)

    info = [
        ("Rechnungsnummer:", invoice.number),
        ("Rechnungsdatum:", formats.date(invoice.issue_date)),
        ("Leistungsdatum:", formats.date(invoice.delivery_date)),
        ("Kundennummer:", invoice.buyer.account),
    ]
    if invoice.po_number:
        info.append(("Bestellnummer:", invoice.po_number))
    sheet.pairs(RIGHT - 190, TOP - 140, info, value_x=RIGHT, value_align="right", value_font=SANS)

    sheet.text(MARGIN, TOP - 262, "Rechnung", size=16, font=SANS_BOLD)
    intro = "Sehr geehrte Damen und Herren, für unsere Lieferungen und Leistungen berechnen wir:"
    sheet.text(MARGIN, TOP - 282, intro, size=9.5)

    columns = [
        LineColumn("Pos.", "position", 30),
        LineColumn("Bezeichnung", "description"),
        LineColumn("Menge", "quantity", 42),
        LineColumn("Einzelpreis", "price", 70),
        LineColumn("USt.", "rate", 40),
        LineColumn("Gesamtpreis", "net", 78),
    ]
    lines_style = [
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 9),
        ("FONT", (0, 1), (-1, -1), SANS, 9),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, INK),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 296, invoice, columns, lines_style, (4, 3))
    draw_de_standard_totals(sheet, invoice, formats, table_bottom)
    draw_de_standard_footer(sheet, invoice)


def draw_de_standard_totals(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw net, "zzgl. x % USt. auf <base>" rows, the invoice total and the payment terms."""
    totals = invoice.totals
    rows = [("Nettobetrag", formats.amount(totals.net))]
    rows += [
        (f"zzgl. {formats.rate(s.rate)} USt. auf {formats.amount(s.base)}", formats.amount(s.tax))
        for s in totals.vat
    ]
    if len(totals.vat) > 1:
        rows.append(("Summe USt.", formats.amount(totals.tax)))
    x, value_x = RIGHT - 250, RIGHT - 3
    y = sheet.pairs(
        x, top - 20, rows, value_x=value_x, value_align="right", value_font=SANS, leading=14
    )
    sheet.rule(x, y + 9, RIGHT, color=INK, width=0.8)
    final = [("Rechnungsbetrag", formats.amount(totals.gross))]
    if invoice.deposit:
        final.append(("abzgl. Anzahlung", formats.amount(invoice.deposit)))
        final.append(("Zahlbetrag", formats.amount(invoice.amount_due)))
    y = sheet.pairs(
        x,
        y - 6,
        final,
        value_x=value_x,
        value_align="right",
        label_font=SANS_BOLD,
        label_color=INK,
        leading=14,
    )
    due = formats.date(invoice.due_date)
    closing = [
        f"Zahlbar innerhalb von {invoice.payment_days} Tagen ohne Abzug bis zum {due}.",
        "Leistungsdatum entspricht Lieferdatum. Vielen Dank für Ihren Auftrag!",
    ]
    sheet.stack(MARGIN, min(y - 20, 160), closing, size=9.5, leading=13)


def draw_de_standard_footer(sheet: Sheet, invoice: Invoice) -> None:
    """Draw the three footer columns: address, bank account, management and registration."""
    seller, printed = invoice.seller, invoice.printed
    columns = [
        [seller.name, seller.address.street, seller.address.city_line],
        [seller.bank.name, f"IBAN {grouped(printed.iban)}", f"BIC {seller.bank.bic}"],
        [f"Geschäftsführung: {seller.profile.contact.manager}", seller.registration],
    ]
    columns[0].append(f"Tel. {seller.profile.contact.phone}")
    columns[2].append(f"USt-IdNr. {printed.vat_id}")
    sheet.rule(MARGIN, 96, RIGHT)
    for index, rows in enumerate(columns):
        x = MARGIN + index * CONTENT_WIDTH / 3
        sheet.stack(x, 84, rows, size=7, leading=9, color=MUTED)
