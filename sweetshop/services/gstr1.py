"""A month's invoices and credit notes in the shape of GSTR-1's offline templates, for the
accountant: B2B, B2CL, B2CS, CDNR, CDNUR, HSN summaries (B2B and B2C), documents issued,
and our own summary by rate (which adds up to the orders to the paisa).

Sorting into sections follows GSTR-1: a buyer with a GSTIN is B2B; an inter-state supply
to an unregistered buyer above B2CL_LIMIT is B2CL; every other sale is B2CS, reported net
of its credit notes by place of supply and rate. Credit notes against B2B invoices are
CDNR, against B2CL invoices CDNUR. Amounts are rupees with two decimals.
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict

from ..formatting import KOLKATA
from ..i18n import lazy_gettext as _l
from ..models import Invoice
from . import gst
from .invoices import month_summary

B2CL_LIMIT = 1_00_000_00  # paise: ₹1 lakh (from 1 August 2024)

SECTIONS = {
    "b2b": ["GSTIN/UIN of Recipient", "Receiver Name", "Invoice Number", "Invoice date",
            "Invoice Value", "Place Of Supply", "Reverse Charge", "Applicable % of Tax Rate",
            "Invoice Type", "E-Commerce GSTIN", "Rate", "Taxable Value", "Cess Amount"],
    "b2cl": ["Invoice Number", "Invoice date", "Invoice Value", "Place Of Supply",
             "Applicable % of Tax Rate", "Rate", "Taxable Value", "Cess Amount",
             "E-Commerce GSTIN"],
    "b2cs": ["Type", "Place Of Supply", "Applicable % of Tax Rate", "Rate", "Taxable Value",
             "Cess Amount", "E-Commerce GSTIN"],
    "cdnr": ["GSTIN/UIN of Recipient", "Receiver Name", "Note Number", "Note Date",
             "Note Type", "Place Of Supply", "Reverse Charge", "Note Supply Type", "Note Value",
             "Applicable % of Tax Rate", "Rate", "Taxable Value", "Cess Amount"],
    "cdnur": ["UR Type", "Note Number", "Note Date", "Note Type", "Place Of Supply",
              "Note Value", "Applicable % of Tax Rate", "Rate", "Taxable Value", "Cess Amount"],
    "hsn_b2b": ["HSN", "Description", "UQC", "Total Quantity", "Total Value", "Rate",
                "Taxable Value", "Integrated Tax Amount", "Central Tax Amount",
                "State/UT Tax Amount", "Cess Amount"],
    "hsn_b2c": ["HSN", "Description", "UQC", "Total Quantity", "Total Value", "Rate",
                "Taxable Value", "Integrated Tax Amount", "Central Tax Amount",
                "State/UT Tax Amount", "Cess Amount"],
    "docs": ["Nature of Document", "Sr. No. From", "Sr. No. To", "Total Number", "Cancelled"],
    "summary": ["Rate", "Invoices", "Credit notes", "Taxable Value", "Central Tax Amount",
                "State/UT Tax Amount", "Integrated Tax Amount", "Total Value"],
}
SECTION_TITLES = {
    "b2b": _l("B2B invoices"), "b2cl": _l("B2C large (inter-state above ₹1 lakh)"),
    "b2cs": _l("B2C small"), "cdnr": _l("Credit notes to registered buyers"),
    "cdnur": _l("Credit notes to unregistered buyers (B2CL)"),
    "hsn_b2b": _l("HSN summary, B2B"), "hsn_b2c": _l("HSN summary, B2C"),
    "docs": _l("Documents issued"), "summary": _l("Totals by rate"),
}


def rupees(paise: int) -> str:
    sign = "-" if paise < 0 else ""
    whole, rest = divmod(abs(paise), 100)
    return f"{sign}{whole}.{rest:02d}"


def gst_date(document: Invoice) -> str:
    return document.issued_at.astimezone(KOLKATA).strftime("%d-%b-%Y")


def section_of(invoice: Invoice) -> str:
    """'b2b', 'b2cl' or 'b2cs' for an invoice (a credit note: its invoice's)."""
    invoice = invoice.original if invoice.is_credit_note else invoice
    if invoice.buyer_gstin:
        return "b2b"
    if not invoice.intra_state and invoice.total_paise > B2CL_LIMIT:
        return "b2cl"
    return "b2cs"


def _by_rate(document: Invoice) -> dict[int, list[int]]:
    """rate -> [taxable, cgst, sgst, igst, total] of the document's lines."""
    rates: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for line in document.lines:
        sums = rates[line.rate_bp]
        for i, value in enumerate((line.taxable_paise, line.cgst_paise, line.sgst_paise,
                                   line.igst_paise, line.total_paise)):
            sums[i] += value
    return dict(sorted(rates.items()))


def _uqc(unit: str) -> tuple[str, str]:
    return {"g": ("KGS", "KILOGRAMS"), "pc": ("NOS", "NUMBERS")}.get(unit, ("NA", "NA"))


def _quantity(unit: str, amount: int) -> str:
    if unit == "g":
        whole, rest = divmod(abs(amount), 1000)
        return f"{'-' if amount < 0 else ''}{whole}.{rest:03d}"
    return str(amount) if unit == "pc" else "0"


def rows(section: str, year: int, month: int) -> list[list[str]]:
    """One section's rows (without the header) for the month."""
    summary = month_summary(year, month)
    documents = summary.documents
    invoices = [d for d in documents if not d.is_credit_note]
    notes = [d for d in documents if d.is_credit_note]
    out: list[list[str]] = []
    if section == "b2b":
        for inv in (d for d in invoices if section_of(d) == "b2b"):
            for rate, sums in _by_rate(inv).items():
                out.append([inv.buyer_gstin, inv.buyer_business_name or inv.buyer_name,
                            inv.number, gst_date(inv), rupees(inv.total_paise),
                            gst.state_label(inv.place_of_supply), "N", "", "Regular B2B", "",
                            gst.rate_percent_text(rate), rupees(sums[0]), "0.00"])
    elif section == "b2cl":
        for inv in (d for d in invoices if section_of(d) == "b2cl"):
            for rate, sums in _by_rate(inv).items():
                out.append([inv.number, gst_date(inv), rupees(inv.total_paise),
                            gst.state_label(inv.place_of_supply), "",
                            gst.rate_percent_text(rate), rupees(sums[0]), "0.00", ""])
    elif section == "b2cs":
        net: dict[tuple[str, int], int] = defaultdict(int)
        for doc in (d for d in documents if section_of(d) == "b2cs"):
            sign = -1 if doc.is_credit_note else 1
            for rate, sums in _by_rate(doc).items():
                net[(doc.place_of_supply, rate)] += sign * sums[0]
        for (pos, rate), taxable in sorted(net.items()):
            out.append(["OE", gst.state_label(pos), "", gst.rate_percent_text(rate),
                        rupees(taxable), "0.00", ""])
    elif section in ("cdnr", "cdnur"):
        wanted = "b2b" if section == "cdnr" else "b2cl"
        for note in (n for n in notes if section_of(n) == wanted):
            for rate, sums in _by_rate(note).items():
                common = [note.number, gst_date(note), "C",
                          gst.state_label(note.place_of_supply)]
                if section == "cdnr":
                    out.append([note.buyer_gstin, note.buyer_business_name or note.buyer_name,
                                *common, "N", "Regular B2B", rupees(note.total_paise), "",
                                gst.rate_percent_text(rate), rupees(sums[0]), "0.00"])
                else:
                    out.append(["B2CL", *common, rupees(note.total_paise), "",
                                gst.rate_percent_text(rate), rupees(sums[0]), "0.00"])
    elif section in ("hsn_b2b", "hsn_b2c"):
        b2b = section == "hsn_b2b"
        groups: dict[tuple[str, str, int], list] = {}
        for doc in documents:
            if (section_of(doc) == "b2b") != b2b:
                continue
            sign = -1 if doc.is_credit_note else 1
            for line in doc.lines:
                key = (line.hsn_code, line.unit, line.rate_bp)
                group = groups.setdefault(key, [line.description.split(",")[0][:30], 0, 0, 0,
                                                0, 0, 0])
                for i, value in enumerate((line.base_quantity if line.unit else 0,
                                           line.total_paise, line.taxable_paise,
                                           line.igst_paise, line.cgst_paise, line.sgst_paise),
                                          start=1):
                    group[i] += sign * value
        for (hsn, unit, rate), g in sorted(groups.items()):
            code, _ = _uqc(unit)
            out.append([hsn, g[0], f"{code}-{_uqc(unit)[1]}" if code != "NA" else "NA",
                        _quantity(unit, g[1]), rupees(g[2]), gst.rate_percent_text(rate),
                        rupees(g[3]), rupees(g[4]), rupees(g[5]), rupees(g[6]), "0.00"])
    elif section == "docs":
        for nature, docs in (("Invoices for outward supply", invoices), ("Credit Note", notes)):
            if docs:
                ordered = sorted(docs, key=lambda d: (d.financial_year, d.sequence))
                out.append([nature, ordered[0].number, ordered[-1].number, str(len(docs)), "0"])
    elif section == "summary":
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for doc in documents:
            for rate in _by_rate(doc):
                counts[rate][1 if doc.is_credit_note else 0] += 1
        for rate, s in summary.by_rate.items():
            out.append([gst.rate_percent_text(rate), str(counts[rate][0]), str(counts[rate][1]),
                        rupees(s.taxable), rupees(s.cgst), rupees(s.sgst), rupees(s.igst),
                        rupees(s.total)])
        n = summary.net
        out.append(["Total", str(summary.invoices.count), str(summary.credit_notes.count),
                    rupees(n.taxable), rupees(n.cgst), rupees(n.sgst), rupees(n.igst),
                    rupees(n.total)])
    else:
        raise KeyError(section)
    return out


def _formula_like(cell: str) -> bool:
    if cell[:1] == "-":
        return not re.fullmatch(r"-\d+(?:\.\d+)?", cell)
    return cell[:1] in ("=", "+", "@", "\t", "\r")


def csv_text(section: str, year: int, month: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SECTIONS[section])
    for row in rows(section, year, month):
        # A cell starting with = + - @ would be a formula in a spreadsheet: names are text.
        writer.writerow([("'" + c) if _formula_like(c) else c for c in row])
    return buffer.getvalue()
