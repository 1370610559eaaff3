"""Issuing invoices and credit notes, and reading them back by month.

- `issue_invoice(order)` runs inside the transaction that places (cash) or pays (online)
  the order: once per order (a unique index says so too), a number from the gapless
  series of the financial year, everything copied onto the document.
- `issue_credit_note(order, ...)` runs inside the cancellation's or the refund's
  transaction: a number from its own series, lines that never credit more than is left.

Numbers: a counter row per series and financial year, incremented by an upsert that
holds the row's lock until the caller commits, so concurrent orders are numbered one
after the other and a transaction that rolls back gives its number back (no gaps). The
counter is the last lock a caller takes (after the order, the products, the cart and the
outbox's per-number lock), right before its commit, so the lock is held for one insert
of the document and its lines and cannot take part in a deadlock.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..formatting import KOLKATA, format_quantity, format_rupees
from ..i18n import gettext as _
from ..models import Invoice, InvoiceLine, Order, Product, utcnow
from . import gst
from .errors import InvalidInput, NotFound
from .shop import get_settings

REGISTRATIONS = ("none", "composition", "regular")
KIND_FOR_REGISTRATION = {"none": "receipt", "composition": "bill_of_supply",
                         "regular": "tax_invoice"}
CREDIT_NOTE_PREFIX = "CN"
LINK_SALT = "sweetshop.invoice-link"


# --- numbers --------------------------------------------------------------------------------

def financial_year(moment: datetime) -> int:
    """The year the Indian financial year (April to March, Asia/Kolkata) of `moment`
    starts in: 31 March 2027 23:59 IST -> 2026, 1 April 2027 00:00 IST -> 2027."""
    local = moment.astimezone(KOLKATA)
    return local.year if local.month >= 4 else local.year - 1


def document_number(prefix: str, year: int, sequence: int) -> str:
    """'MS', 2026, 123 -> 'MS/26-27/000123' (at most 16 characters, as Rule 46 allows)."""
    number = f"{prefix}/{year % 100:02d}-{(year + 1) % 100:02d}/{sequence:06d}"
    if len(number) > 16:
        raise RuntimeError(f"document number {number} is longer than 16 characters")
    return number


def _next_sequence(series: str, year: int) -> int:
    """The next number of a series, locked until the caller's transaction ends."""
    return db.session.execute(text(
        "INSERT INTO document_counter (series, financial_year, last_number) "
        "VALUES (:series, :year, 1) ON CONFLICT (series, financial_year) "
        "DO UPDATE SET last_number = document_counter.last_number + 1 RETURNING last_number"
    ), {"series": series, "year": year}).scalar_one()


# --- issuing --------------------------------------------------------------------------------

def _supplier(settings) -> dict:
    registered = settings.gst_registration in ("composition", "regular")
    return dict(
        supplier_name=settings.name, supplier_legal_name=settings.legal_name or settings.name,
        supplier_address=settings.address or "",
        supplier_gstin=settings.gstin if registered else "",
        supplier_state_code=settings.state_code or "", supplier_phone=settings.phone or "",
        fssai_number=settings.fssai_number or "",
        # Another area adds the logo upload; until it lands there is none.
        logo_key=getattr(settings, "logo_key", None) or "",
    )


def place_of_supply(order: Order, settings) -> str:
    """The state the goods go to: the delivery pincode's, or the shop's for a pickup
    order or a pincode we cannot place."""
    if getattr(order, "fulfilment", None) == "pickup" or getattr(order, "is_pickup", False):
        return settings.state_code or ""
    return gst.state_for_pincode(order.pincode) or settings.state_code or ""


def _product_tax(product: Product | None, settings) -> tuple[str, int]:
    hsn = (product.hsn_code if product is not None else None) or settings.default_hsn
    rate = product.gst_rate_bp if product is not None else None
    return hsn, settings.default_gst_rate_bp if rate is None else rate


def _line(position, *, description, hsn, packs, base_quantity, unit, unit_price, gross,
          rate_bp, intra, taxed: bool, is_delivery=False) -> InvoiceLine:
    split = gst.split_inclusive(gross, rate_bp if taxed else 0, intra)
    return InvoiceLine(
        position=position, is_delivery=is_delivery, description=description[:200],
        hsn_code=hsn, packs=packs, base_quantity=base_quantity, unit=unit,
        unit_price_paise=unit_price, rate_bp=rate_bp if taxed else 0,
        taxable_paise=split.taxable_paise, cgst_paise=split.cgst_paise,
        sgst_paise=split.sgst_paise, igst_paise=split.igst_paise, total_paise=gross)


def _add_totals(document: Invoice) -> None:
    for column in ("taxable_paise", "cgst_paise", "sgst_paise", "igst_paise", "total_paise"):
        setattr(document, column, sum(getattr(line, column) for line in document.lines))


def invoice_for(order_id: int) -> Invoice | None:
    return db.session.scalars(select(Invoice).where(
        Invoice.order_id == order_id, Invoice.document_type == "invoice")).first()


def issue_invoice(order: Order) -> Invoice:
    """The order's invoice, issued now if it has none. In the caller's transaction (which
    holds the order: it created or locked it); does not commit. Idempotent per order.

    The document type follows the shop's registration (tax invoice, bill of supply or
    receipt); the tax is CGST + SGST when the place of supply is the shop's state, else
    IGST; lines are the order's items (their prices as ordered, HSN and rate as set on
    the product now, else the shop's defaults) and the delivery fee with its own SAC and
    rate. Takes the invoice counter's lock last."""
    existing = invoice_for(order.id)
    if existing is not None:
        return existing
    settings = get_settings()
    kind = KIND_FOR_REGISTRATION.get(settings.gst_registration, "receipt")
    taxed = kind == "tax_invoice"
    pos = place_of_supply(order, settings)
    intra = not settings.state_code or pos == settings.state_code
    product_ids = {item.product_id for item in order.items if item.product_id is not None}
    products = {p.id: p for p in db.session.scalars(
        select(Product).where(Product.id.in_(product_ids)))} if product_ids else {}
    now = utcnow()
    document = Invoice(
        document_type="invoice", kind=kind, issued_at=now, order_id=order.id,
        order_number=order.number, buyer_name=order.customer_name, buyer_phone=order.phone,
        buyer_address=order.address, buyer_pincode=order.pincode,
        buyer_gstin=order.buyer_gstin or "", buyer_business_name=order.buyer_business_name or "",
        place_of_supply=pos, intra_state=intra, reason="", for_cancellation=False,
        **_supplier(settings))
    for position, item in enumerate(order.items, start=1):
        hsn, rate = _product_tax(products.get(item.product_id), settings)
        document.lines.append(_line(
            position, description=f"{item.product_name}, {item.pack_name}", hsn=hsn,
            packs=item.quantity, base_quantity=item.base_quantity, unit=item.unit.value,
            unit_price=item.unit_price_paise, gross=item.line_total_paise, rate_bp=rate,
            intra=intra, taxed=taxed))
    if order.delivery_fee_paise:
        document.lines.append(_line(
            len(document.lines) + 1, description=_("Delivery"), hsn=settings.delivery_sac,
            packs=1, base_quantity=1, unit="", unit_price=order.delivery_fee_paise,
            gross=order.delivery_fee_paise, rate_bp=settings.delivery_gst_rate_bp,
            intra=intra, taxed=taxed, is_delivery=True))
    _add_totals(document)
    # The counter's lock, last: only the insert below happens while it is held.
    year = financial_year(now)
    document.financial_year = year
    document.sequence = _next_sequence("invoice", year)
    document.number = document_number(settings.invoice_prefix or "INV", year, document.sequence)
    db.session.add(document)
    db.session.flush()
    return document


def credit_notes_of(invoice: Invoice) -> list[Invoice]:
    return list(db.session.scalars(select(Invoice).where(Invoice.original_id == invoice.id)
                                   .order_by(Invoice.id)))


@dataclass
class _Left:
    total: int = 0
    taxable: int = 0
    cgst: int = 0
    sgst: int = 0
    igst: int = 0


def _left_to_credit(invoice: Invoice) -> dict[int, _Left]:
    left = {line.position: _Left(line.total_paise, line.taxable_paise, line.cgst_paise,
                                 line.sgst_paise, line.igst_paise) for line in invoice.lines}
    for note in credit_notes_of(invoice):
        for line in note.lines:
            rest = left[line.position]
            rest.total -= line.total_paise
            rest.taxable -= line.taxable_paise
            rest.cgst -= line.cgst_paise
            rest.sgst -= line.sgst_paise
            rest.igst -= line.igst_paise
    return left


def _credit_split(gross: int, rate_bp: int, intra: bool, rest: _Left) -> tuple[int, ...]:
    """(taxable, cgst, sgst, igst) for crediting `gross` of a line: all that is left when
    it is all that is left (so invoice minus its credit notes is exactly zero), else the
    one rounding rule, kept within what is left of each amount."""
    if gross == rest.total:
        return rest.taxable, rest.cgst, rest.sgst, rest.igst
    split = gst.split_inclusive(gross, rate_bp, intra)
    cgst, sgst, igst = (min(split.cgst_paise, rest.cgst), min(split.sgst_paise, rest.sgst),
                        min(split.igst_paise, rest.igst))
    taxable = gross - cgst - sgst - igst
    if taxable > rest.taxable:  # a paisa of rounding: it goes to the tax instead
        extra = taxable - rest.taxable
        taxable = rest.taxable
        if intra:
            add_c = min(extra, rest.cgst - cgst)
            cgst, sgst = cgst + add_c, sgst + extra - add_c
        else:
            igst += extra
    return taxable, cgst, sgst, igst


def issue_credit_note(order: Order, *, reason: str, amount_paise: int | None = None,
                      refund=None, for_cancellation: bool = False) -> Invoice | None:
    """A credit note against the order's invoice for `amount_paise` (None: all that is not
    credited yet), in the caller's transaction (which holds the order's lock); does not
    commit. Returns None when there is no invoice or nothing left to credit. One per
    refund (`refund`), and one for the cancellation. The amount is spread over the
    invoice's lines in proportion to what is left of each (in whole paise that add up),
    and the customer gets a message with its link through the outbox. Takes the credit
    note counter's lock last (after the message's)."""
    invoice = invoice_for(order.id)
    if invoice is None:
        return None
    notes = credit_notes_of(invoice)
    if refund is not None and any(n.refund_id == refund.id for n in notes):
        return next(n for n in notes if n.refund_id == refund.id)
    if for_cancellation and any(n.for_cancellation for n in notes):
        return next(n for n in notes if n.for_cancellation)
    left = _left_to_credit(invoice)
    remaining = sum(rest.total for rest in left.values())
    amount = remaining if amount_paise is None else min(amount_paise, remaining)
    if amount <= 0:
        return None
    lines = sorted(invoice.lines, key=lambda line: line.position)
    shares = gst.apportion(amount, [left[line.position].total for line in lines])
    now = utcnow()
    note = Invoice(
        document_type="credit_note", kind=invoice.kind, issued_at=now, order_id=order.id,
        original=invoice, refund_id=refund.id if refund is not None else None,
        reason=(reason or "")[:200], for_cancellation=for_cancellation,
        **{column: getattr(invoice, column) for column in (
            "supplier_name", "supplier_legal_name", "supplier_address", "supplier_gstin",
            "supplier_state_code", "supplier_phone", "fssai_number", "logo_key",
            "order_number", "buyer_name", "buyer_phone", "buyer_address", "buyer_pincode",
            "buyer_gstin", "buyer_business_name", "place_of_supply", "intra_state")})
    for line, share in zip(lines, shares, strict=True):
        if share <= 0:
            continue
        rest = left[line.position]
        taxable, cgst, sgst, igst = _credit_split(share, line.rate_bp, invoice.intra_state, rest)
        whole_line = share == line.total_paise
        note.lines.append(InvoiceLine(
            position=line.position, is_delivery=line.is_delivery, description=line.description,
            hsn_code=line.hsn_code, packs=line.packs if whole_line else 0,
            base_quantity=line.base_quantity if whole_line else 0, unit=line.unit,
            unit_price_paise=line.unit_price_paise, rate_bp=line.rate_bp,
            taxable_paise=taxable, cgst_paise=cgst, sgst_paise=sgst, igst_paise=igst,
            total_paise=share))
    _add_totals(note)
    from .messages import compose
    from .notifications import queue_order_message

    # The customer's message first: it may take the outbox's per-number lock, which must
    # come before the counter's. Its words need the number, so they are written once the
    # number is known, still before the commit that enqueues the message.
    message = queue_order_message(order, "credit_note", credit_note=note)
    year = financial_year(now)
    note.financial_year = year
    note.sequence = _next_sequence("credit_note", year)
    note.number = document_number(CREDIT_NOTE_PREFIX, year, note.sequence)
    db.session.add(note)
    db.session.flush()
    if message.status == "queued":
        settings = get_settings()
        message.body, message.variables = compose(
            "credit_note", settings.name, order, shop_phone=settings.phone, credit_note=note)
    return note


# --- links ----------------------------------------------------------------------------------

def _links() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def invoice_token(order: Order) -> str:
    """The customer's signed link to the order's invoice: known before the invoice is
    issued (it is written into the "order placed" message in the same transaction)."""
    return _links().dumps(["i", order.public_token])


def credit_note_token(note: Invoice) -> str:
    return _links().dumps(["c", note.id])


def document_link(token: str, pdf: bool = False) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/invoices/{token}{'.pdf' if pdf else ''}"


def document_for_token(token: str) -> Invoice:
    """The invoice or credit note a signed link names. Raises NotFound."""
    try:
        kind, value = _links().loads(token) if len(token or "") < 200 else (None, None)
    except (BadData, ValueError, TypeError):
        kind, value = None, None
    document = None
    if kind == "i" and isinstance(value, str):
        order = db.session.scalars(select(Order).where(Order.public_token == value)).first()
        document = invoice_for(order.id) if order is not None else None
    elif kind == "c" and isinstance(value, int):
        document = db.session.get(Invoice, value)
    if document is None:
        raise NotFound(_("We could not find that invoice."))
    return document


def get_document(document_id: int) -> Invoice:
    document = db.session.get(Invoice, document_id) if 0 < document_id < 2**31 else None
    if document is None:
        raise NotFound(_("We could not find that invoice."))
    return document


def documents_of_order(order_id: int) -> list[Invoice]:
    return list(db.session.scalars(select(Invoice).where(Invoice.order_id == order_id)
                                   .order_by(Invoice.id)))


# --- reading by month -------------------------------------------------------------------------

def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, month, 1), time.min, tzinfo=KOLKATA)
    end_day = date(year + (month == 12), month % 12 + 1, 1)
    return start, datetime.combine(end_day, time.min, tzinfo=KOLKATA)


@dataclass
class Sums:
    taxable: int = 0
    cgst: int = 0
    sgst: int = 0
    igst: int = 0
    total: int = 0
    count: int = 0

    def add(self, row, sign: int = 1, count: bool = False) -> None:
        self.taxable += sign * row.taxable_paise
        self.cgst += sign * row.cgst_paise
        self.sgst += sign * row.sgst_paise
        self.igst += sign * row.igst_paise
        self.total += sign * row.total_paise
        self.count += 1 if count else 0


@dataclass
class MonthSummary:
    year: int
    month: int
    documents: list[Invoice]
    invoices: Sums = field(default_factory=Sums)
    credit_notes: Sums = field(default_factory=Sums)
    net: Sums = field(default_factory=Sums)
    by_rate: dict[int, Sums] = field(default_factory=dict)  # net of credit notes


def month_documents(year: int, month: int) -> list[Invoice]:
    start, end = month_bounds(year, month)
    return list(db.session.scalars(
        select(Invoice).where(Invoice.issued_at >= start, Invoice.issued_at < end)
        .options(selectinload(Invoice.lines), selectinload(Invoice.original))
        .order_by(Invoice.issued_at, Invoice.id)))


def month_summary(year: int, month: int) -> MonthSummary:
    """Every invoice and credit note issued in a month (Asia/Kolkata), with totals: of the
    invoices, of the credit notes, net, and net by GST rate."""
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise InvalidInput(_("Please choose a month between 2000 and 2100."), field="month")
    documents = month_documents(year, month)
    summary = MonthSummary(year, month, documents)
    by_rate: dict[int, Sums] = defaultdict(Sums)
    for document in documents:
        sign = -1 if document.is_credit_note else 1
        (summary.credit_notes if document.is_credit_note else summary.invoices).add(
            document, count=True)
        summary.net.add(document, sign)
        for line in document.lines:
            by_rate[line.rate_bp].add(line, sign)
    summary.by_rate = dict(sorted(by_rate.items()))
    return summary


def line_quantity_text(line: InvoiceLine) -> str:
    """'2 × 500 g' style quantity for a line: packs and the amount in all."""
    if line.is_delivery or not line.unit:
        return "1"
    if not line.packs:
        return "—"
    return f"{line.packs} ({format_quantity(line.base_quantity, line.unit)})"


def money(paise: int) -> str:
    return format_rupees(paise)


# --- the owner's settings ---------------------------------------------------------------------

@dataclass(frozen=True)
class TaxSettings:
    gst_registration: str
    gstin: str = ""
    legal_name: str = ""
    state_code: str = ""
    address: str = ""
    fssai_number: str = ""
    invoice_prefix: str = "INV"
    default_hsn: str = gst.DEFAULT_HSN
    default_gst_rate: str = "5"
    delivery_sac: str = gst.DELIVERY_SAC
    delivery_gst_rate: str = "5"


def update_tax_settings(values: TaxSettings):
    """Save the shop's registration and invoice settings; the next invoice uses them
    (those issued keep theirs). Checks everything first and raises InvalidInput naming the
    field at fault, writing nothing. A registered shop needs a valid GSTIN (its state is
    the GSTIN's first two digits) and its legal name. Commits."""
    registration = values.gst_registration
    if registration not in REGISTRATIONS:
        raise InvalidInput(_("Please choose how the shop is registered for GST."),
                           field="gst_registration")
    registered = registration != "none"
    gstin = ""
    if registered or (values.gstin or "").strip():
        if not (values.gstin or "").strip():
            raise InvalidInput(_("A registered shop needs its GSTIN on every invoice."),
                               field="gstin")
        gstin = gst.check_gstin(values.gstin, field="gstin")
    legal_name = " ".join((values.legal_name or "").split())
    if registered and not legal_name:
        raise InvalidInput(_("Please give the legal name the GSTIN is registered to."),
                           field="legal_name")
    if len(legal_name) > 120:
        raise InvalidInput(_("Please keep the legal name under 120 characters."),
                           field="legal_name")
    state = (values.state_code or "").strip()
    if state and state not in gst.STATES:
        raise InvalidInput(_("Please choose the shop's state."), field="state_code")
    if gstin:
        if state and state != gstin[:2]:
            raise InvalidInput(_("This GSTIN is registered in %(state)s: choose that state or "
                                 "check the GSTIN.", state=gst.state_label(gstin[:2])),
                               field="state_code")
        state = gstin[:2]
    if registered and not state:
        raise InvalidInput(_("Please choose the shop's state."), field="state_code")
    address = "\n".join(" ".join(line.split()) for line in (values.address or "").splitlines()
                        if line.strip())
    if len(address) > 500:
        raise InvalidInput(_("Please keep the address under 500 characters."), field="address")
    if registered and not address:
        raise InvalidInput(_("Please give the shop's address: it is printed on every invoice."),
                           field="address")
    fssai = re.sub(r"\s+", "", values.fssai_number or "")
    if fssai and not re.fullmatch(r"\d{14}", fssai):
        raise InvalidInput(_("An FSSAI licence number has 14 digits."), field="fssai_number")
    prefix = (values.invoice_prefix or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{1,3}", prefix):
        raise InvalidInput(_("The invoice prefix is 1 to 3 letters or digits, e.g. MS."),
                           field="invoice_prefix")
    if prefix == CREDIT_NOTE_PREFIX:
        raise InvalidInput(_("CN is the credit notes' prefix: please choose another."),
                           field="invoice_prefix")
    default_hsn = gst.check_hsn(values.default_hsn, field="default_hsn")
    delivery_sac = gst.check_hsn(values.delivery_sac, field="delivery_sac", what=_("SAC code"))
    default_rate = _rate_for_field(values.default_gst_rate, "default_gst_rate")
    delivery_rate = _rate_for_field(values.delivery_gst_rate, "delivery_gst_rate")

    settings = get_settings()
    settings.gst_registration = registration
    settings.gstin = gstin
    settings.legal_name = legal_name
    settings.state_code = state
    settings.address = address
    settings.fssai_number = fssai
    settings.invoice_prefix = prefix
    settings.default_hsn = default_hsn
    settings.default_gst_rate_bp = default_rate
    settings.delivery_sac = delivery_sac
    settings.delivery_gst_rate_bp = delivery_rate
    db.session.commit()
    return settings


def _rate_for_field(raw, field_name: str) -> int:
    try:
        return gst.parse_rate(raw)
    except InvalidInput as error:
        raise InvalidInput(error.message, field=field_name) from None


def set_product_tax(product_id: int, hsn_code: str, gst_rate: str) -> Product:
    """A sweet's HSN code and GST rate; empty means the shop's default. Later invoices only.
    Raises InvalidInput (field hsn_code / gst_rate) or NotFound, writing nothing. Commits."""
    hsn = gst.check_hsn(hsn_code) if (hsn_code or "").strip() else None
    rate = gst.parse_rate(gst_rate) if str(gst_rate or "").strip() else None
    product = db.session.get(Product, product_id, with_for_update=True) \
        if 0 < product_id < 2**31 else None
    if product is None:
        db.session.rollback()
        raise NotFound(_("We could not find that sweet."))
    product.hsn_code, product.gst_rate_bp = hsn, rate
    db.session.commit()
    return product


def products_for_tax() -> list[Product]:
    return list(db.session.scalars(select(Product).order_by(Product.name)))
