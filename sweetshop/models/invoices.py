"""Invoices and credit notes: documents copied whole at the moment they are issued.

A document never reads the catalogue, the order or the settings again: the supplier, the
buyer, every line and every amount are stored on it, so a later price, name, HSN or rate
change (or a new address) cannot change an invoice already issued.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class DocumentCounter(db.Model):
    """The last number used in one series ("invoice", "credit_note") of one financial year
    (the year it starts in: 2026 for April 2026 to March 2027). Incremented in the
    transaction that issues the document, so a rolled-back order gives its number back."""
    __tablename__ = "document_counter"
    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    financial_year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class Invoice(db.Model):
    """A tax invoice, bill of supply or receipt (document_type "invoice"), or a credit note
    against one (document_type "credit_note", original_id set)."""
    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("taxable_paise + cgst_paise + sgst_paise + igst_paise = total_paise",
                        name="total_adds_up"),
        CheckConstraint("taxable_paise >= 0 AND cgst_paise >= 0 AND sgst_paise >= 0 "
                        "AND igst_paise >= 0", name="amounts_not_negative"),
        CheckConstraint("document_type IN ('invoice', 'credit_note')", name="document_type"),
        CheckConstraint("kind IN ('tax_invoice', 'bill_of_supply', 'receipt')", name="kind"),
        CheckConstraint("(document_type = 'credit_note') = (original_id IS NOT NULL)",
                        name="credit_note_has_original"),
        CheckConstraint("sequence > 0 AND length(number) <= 16", name="number_shape"),
        # One invoice per order; one credit note per refund; one for a cancellation.
        Index("uq_invoice_one_per_order", "order_id", unique=True,
              postgresql_where="document_type = 'invoice'"),
        Index("uq_invoice_series_number", "document_type", "financial_year", "sequence",
              unique=True),
        Index("ix_invoice_issued_at", "issued_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_type: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(16))  # what the registration made it
    number: Mapped[str] = mapped_column(String(16), unique=True)
    financial_year: Mapped[int] = mapped_column(SmallInteger)
    sequence: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    original_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    for_cancellation: Mapped[bool] = mapped_column(Boolean, default=False)

    # The supplier, as registered when the document was issued.
    supplier_name: Mapped[str] = mapped_column(String(120))
    supplier_legal_name: Mapped[str] = mapped_column(String(120), default="")
    supplier_address: Mapped[str] = mapped_column(Text, default="")
    supplier_gstin: Mapped[str] = mapped_column(String(15), default="")
    supplier_state_code: Mapped[str] = mapped_column(String(2), default="")
    supplier_phone: Mapped[str] = mapped_column(String(20), default="")
    fssai_number: Mapped[str] = mapped_column(String(14), default="")
    # The shop's logo (an image store key) when the document was issued; "" for none.
    logo_key: Mapped[str] = mapped_column(String(255), default="")

    # The buyer.
    order_number: Mapped[int] = mapped_column(Integer)
    buyer_name: Mapped[str] = mapped_column(String(120))
    buyer_phone: Mapped[str] = mapped_column(String(20))
    buyer_address: Mapped[str] = mapped_column(String(500))
    buyer_pincode: Mapped[str] = mapped_column(String(6))
    buyer_gstin: Mapped[str] = mapped_column(String(15), default="")
    buyer_business_name: Mapped[str] = mapped_column(String(120), default="")
    place_of_supply: Mapped[str] = mapped_column(String(2), default="")  # GST state code
    intra_state: Mapped[bool] = mapped_column(Boolean, default=True)

    taxable_paise: Mapped[int] = mapped_column(BigInteger)
    cgst_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    igst_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    total_paise: Mapped[int] = mapped_column(BigInteger)

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan")
    original: Mapped[Invoice | None] = relationship(remote_side=[id])
    order = relationship("Order")

    @property
    def is_credit_note(self) -> bool:
        return self.document_type == "credit_note"

    @property
    def is_b2b(self) -> bool:
        return bool(self.buyer_gstin)

    @property
    def tax_paise(self) -> int:
        return self.cgst_paise + self.sgst_paise + self.igst_paise


class InvoiceLine(db.Model):
    __tablename__ = "invoice_line"
    __table_args__ = (
        CheckConstraint("taxable_paise + cgst_paise + sgst_paise + igst_paise = total_paise",
                        name="line_adds_up"),
        CheckConstraint("taxable_paise >= 0 AND cgst_paise >= 0 AND sgst_paise >= 0 "
                        "AND igst_paise >= 0", name="amounts_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(Integer)
    is_delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(String(200))
    hsn_code: Mapped[str] = mapped_column(String(8))
    packs: Mapped[int] = mapped_column(Integer)          # how many packs (1 for delivery)
    # The quantity in the GST unit: grams or pieces (UQC KGS / NOS in GSTR-1's HSN summary).
    base_quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(4))          # "g", "pc" or "" (a service)
    unit_price_paise: Mapped[int] = mapped_column(BigInteger)  # per pack, tax included
    rate_bp: Mapped[int] = mapped_column(Integer)          # 500 = 5%
    taxable_paise: Mapped[int] = mapped_column(BigInteger)
    cgst_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    igst_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    total_paise: Mapped[int] = mapped_column(BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
