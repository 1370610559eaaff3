"""Invoice pages: the owner's (tax settings, the month's invoices, CSV export, one
document) and the customer's (a signed link from the tracking page, My orders and the
order's messages). One template renders a document as a page and, printed, as the PDF."""
from __future__ import annotations

import re
from datetime import datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for

from ..formatting import KOLKATA
from ..i18n import gettext as _
from ..services import gst, gstr1
from ..services import invoices as invoice_service
from ..services.errors import DomainError
from ..services.shop import get_settings
from . import bp, public_bp
from .forms import ProductTaxForm, TaxSettingsForm

PAPERS = ("a4", "80mm")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def logo_src(key: str) -> str | None:
    """The logo's URL for a page, when the store that holds it is set up here."""
    if not key:
        return None
    from ..integrations.cloudinary import _store_for_key

    store = _store_for_key(key)
    return store.picture(key).src if store is not None else None


def _paper() -> str:
    paper = request.args.get("paper", "a4")
    return paper if paper in PAPERS else "a4"


def _filename(document, paper: str) -> str:
    name = document.number.replace("/", "-")
    return f"{name}{'-80mm' if paper == '80mm' else ''}.pdf"


def _document_response(document, *, pdf: bool, links: dict):
    paper = _paper()
    context = dict(gst=gst, words=gst.rupees_in_words(document.total_paise),
                   quantity_text=invoice_service.line_quantity_text, links=links)
    if pdf:
        from .pdf import render_pdf

        body = render_pdf(document, paper=paper, **context)
        return Response(body, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{_filename(document, paper)}"',
            "Cache-Control": "private, no-store"})
    response = Response(render_template(
        "invoices/document.html", document=document, paper=paper, for_pdf=False,
        stylesheet=url_for("static", filename="css/invoice.css"),
        logo=logo_src(document.logo_key), **context))
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the customer's ---------------------------------------------------------------------------

@public_bp.get("/<token>")
def show_document(token: str):
    pdf = token.endswith(".pdf")
    token = token.removesuffix(".pdf")
    try:
        document = invoice_service.document_for_token(token)
    except DomainError:
        abort(404)
    links = {"pdf": url_for("invoice_links.show_document", token=token + ".pdf"),
             "page": url_for("invoice_links.show_document", token=token)}
    return _document_response(document, pdf=pdf, links=links)


# --- the owner's ------------------------------------------------------------------------------

def _month_from(raw: str | None) -> tuple[int, int]:
    match = MONTH.match(raw or "")
    if match and 2000 <= int(match.group(1)) <= 2100 and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    now = datetime.now(KOLKATA)
    return now.year, now.month


def _shift(year: int, month: int, by: int) -> str:
    index = year * 12 + month - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@bp.get("/invoices")
def list_invoices():
    year, month = _month_from(request.args.get("month"))
    summary = invoice_service.month_summary(year, month)
    return render_template(
        "invoices/list.html", summary=summary, gst=gst, month=f"{year:04d}-{month:02d}",
        month_label=datetime(year, month, 1).strftime("%B %Y"),
        previous=_shift(year, month, -1), next=_shift(year, month, 1),
        sections=gstr1.SECTION_TITLES, settings=get_settings())


@bp.get("/invoices/export.csv")
def export_invoices():
    year, month = _month_from(request.args.get("month"))
    section = request.args.get("section", "summary")
    if section not in gstr1.SECTIONS:
        abort(404)
    body = gstr1.csv_text(section, year, month)
    filename = f"gstr1-{year:04d}-{month:02d}-{section}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/invoices/<id:document_id>")
def show_invoice(document_id: int):
    document = invoice_service.get_document(document_id)
    links = {"pdf": url_for("invoices.invoice_pdf", document_id=document.id),
             "page": url_for("invoices.show_invoice", document_id=document.id),
             "order": url_for("admin.show_order", order_id=document.order_id)}
    return _document_response(document, pdf=False, links=links)


@bp.get("/invoices/<id:document_id>.pdf")
def invoice_pdf(document_id: int):
    document = invoice_service.get_document(document_id)
    return _document_response(document, pdf=True, links={})


# --- tax settings -----------------------------------------------------------------------------

def _tax_form_from(settings) -> TaxSettingsForm:
    form = TaxSettingsForm(formdata=None, obj=settings)
    form.default_gst_rate.data = gst.rate_percent_text(settings.default_gst_rate_bp)
    form.delivery_gst_rate.data = gst.rate_percent_text(settings.delivery_gst_rate_bp)
    return form


def _render_tax(form, status=200, product_errors=None):
    products = invoice_service.products_for_tax()
    return render_template("invoices/tax_settings.html", form=form, products=products,
                           product_errors=product_errors or {}, gst=gst,
                           settings=get_settings(), product_form=ProductTaxForm), status


@bp.get("/settings/tax")
def edit_tax_settings():
    return _render_tax(_tax_form_from(get_settings()))


@bp.post("/settings/tax")
def update_tax_settings():
    form = TaxSettingsForm()
    if not form.validate():
        return _render_tax(form, 422)
    try:
        invoice_service.update_tax_settings(invoice_service.TaxSettings(
            gst_registration=form.gst_registration.data or "", gstin=form.gstin.data or "",
            legal_name=form.legal_name.data or "", state_code=form.state_code.data or "",
            address=form.address.data or "", fssai_number=form.fssai_number.data or "",
            invoice_prefix=form.invoice_prefix.data or "",
            default_hsn=form.default_hsn.data or "",
            default_gst_rate=form.default_gst_rate.data or "",
            delivery_sac=form.delivery_sac.data or "",
            delivery_gst_rate=form.delivery_gst_rate.data or ""))
    except DomainError as error:
        target = getattr(form, error.field, None) if error.field else None
        if target is None:
            raise
        target.errors = [error.message]
        return _render_tax(form, 422)
    flash(_("Tax and invoice settings saved. New invoices use them."), "success")
    return redirect(url_for("invoices.edit_tax_settings"), 303)


@bp.post("/settings/tax/products/<id:product_id>")
def update_product_tax(product_id: int):
    form = ProductTaxForm()
    if not form.validate():
        return _render_tax(_tax_form_from(get_settings()), 422,
                           {product_id: " ".join(e for es in form.errors.values() for e in es)})
    try:
        product = invoice_service.set_product_tax(product_id, form.hsn_code.data or "",
                                                  form.gst_rate.data or "")
    except DomainError as error:
        if error.status_code == 404:
            abort(404)
        return _render_tax(_tax_form_from(get_settings()), 422, {product_id: error.message})
    flash(_("Tax for %(name)s saved.", name=product.name), "success")
    return redirect(url_for("invoices.edit_tax_settings", _anchor=f"product-{product_id}"), 303)


# --- links on other pages (tracking, My orders, the owner's order page) --------------------

@public_bp.app_context_processor
def document_links():
    def customer_documents(order) -> list[tuple[str, str, str]]:
        """(label, page URL, PDF URL) of an order's invoice and credit notes, signed."""
        out = []
        for document in invoice_service.documents_of_order(order.id):
            token = (invoice_service.invoice_token(order) if not document.is_credit_note
                     else invoice_service.credit_note_token(document))
            label = (_("Credit note %(number)s", number=document.number)
                     if document.is_credit_note else _("Invoice %(number)s", number=document.number))
            out.append((label, url_for("invoice_links.show_document", token=token),
                        url_for("invoice_links.show_document", token=token + ".pdf")))
        return out

    def owner_documents(order) -> list[tuple[str, str, str]]:
        return [((_("Credit note %(number)s", number=d.number) if d.is_credit_note
                  else _("Invoice %(number)s", number=d.number)),
                 url_for("invoices.show_invoice", document_id=d.id),
                 url_for("invoices.invoice_pdf", document_id=d.id))
                for d in invoice_service.documents_of_order(order.id)]

    return {"customer_documents": customer_documents, "owner_documents": owner_documents}
