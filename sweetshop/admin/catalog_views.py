"""Catalogue pages: products, packs, stock and categories.

Each POST works as a plain form (303 back to the page, or the page again with 422 and the
messages next to the fields) and, with htmx, returns just the part of the page it changed.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..extensions import db
from ..formatting import format_quantity
from ..htmx import is_htmx, render_page_or_block
from ..i18n import gettext as _
from ..images import CleanImage
from ..integrations.cloudinary import MAX_BYTES
from ..models import Category, Order, Unit
from ..safe_redirect import safe_next_path
from ..services import catalog_admin, stock
from ..services.catalog_admin import PackDetails, ProductDetails
from ..services.errors import DomainError, NotFound
from ..url_converters import parse_id
from . import actor, bp
from .catalog_forms import (
    CategoryForm,
    NewProductForm,
    PackForm,
    ProductForm,
    StockForm,
)

LIST = "admin/products/list.html"
EDIT = "admin/products/edit.html"
NEW = "admin/products/new.html"
CATEGORIES = "admin/categories/list.html"


# --- helpers -----------------------------------------------------------------------------

def _safe_next(target: str | None, default: str) -> str:
    # Only paths inside the admin: a tampered "next" cannot send the owner elsewhere.
    return safe_next_path(target, default, prefix="/admin/")


def _form_status(error: DomainError) -> int:
    if isinstance(error, NotFound):
        raise error
    return error.status_code if error.status_code >= 500 else 422


def _show_error(form, error: DomainError, general: list[str] | None = None) -> None:
    """Put a service's message next to the field it names, else among the general messages."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    elif general is not None:
        general.append(error.message)
    else:
        form.form_errors.append(error.message)


def _category_choices():
    return [(c.id, c.name) for c in catalog_admin.list_categories()]


def _details(form: ProductForm) -> ProductDetails:
    return ProductDetails(name=form.name.data or "", description=form.description.data or "",
                          category_id=form.category_id.data, unit=Unit(form.unit.data),
                          active=bool(form.active.data),
                          low_stock_threshold=form.low_stock_threshold.data or 0,
                          name_hi=form.name_hi.data or "",
                          description_hi=form.description_hi.data or "",
                          aliases=form.aliases.data or "")


def _read_photo(form: ProductForm) -> CleanImage | None:
    """The uploaded photo (read at most 5 MB + 1), decoded and re-encoded without its
    metadata; None when none was chosen or it was refused (the message is on the field)."""
    upload = request.files.get(form.photo.name)
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(MAX_BYTES + 1)
    try:
        return catalog_admin.check_photo(data)
    except DomainError as error:
        form.photo.errors = [*form.photo.errors, error.message]
        return None


def _stock_form(product, bound: StockForm | None = None) -> StockForm:
    if bound is not None:
        return bound
    return StockForm(formdata=None, prefix=f"s{product.id}",
                     unit="kg" if product.unit is Unit.GRAM else "g")


def _ledger_context(product) -> dict:
    movements = stock.recent_movements(product.id)
    order_ids = {m.order_id for m in movements if m.order_id}
    numbers = {order_id: number for order_id, number in db.session.execute(
        select(Order.id, Order.number).where(Order.id.in_(order_ids)))} if order_ids else {}
    return {"movements": movements, "order_numbers": numbers,
            "order_pages": "admin.show_order" in current_app.view_functions}


def _pack_form_factory(bound: dict[int, PackForm]):
    def pack_form(variant) -> PackForm:
        if variant.id in bound:
            return bound[variant.id]
        return PackForm(formdata=None, prefix=f"p{variant.id}",
                        data={"name": variant.name, "name_hi": variant.name_hi,
                              "quantity": variant.quantity, "price": variant.price_paise})
    return pack_form


def _edit_context(product, *, form: ProductForm | None = None, stock_form: StockForm | None = None,
                  pack_forms: dict | None = None, new_pack: PackForm | None = None,
                  packs_error: str | None = None, packs_message: str | None = None,
                  stock_message: str | None = None) -> dict:
    if form is None:
        form = ProductForm(formdata=None, prefix="", data={
            "name": product.name, "description": product.description,
            "name_hi": product.name_hi, "description_hi": product.description_hi,
            "aliases": product.aliases,
            "category_id": product.category_id, "unit": product.unit.value,
            "active": product.active, "low_stock_threshold": product.low_stock_threshold})
    form.category_id.choices = form.category_id.choices or _category_choices()
    return {
        "product": product, "form": form, "sform": _stock_form(product, stock_form),
        "pack_form": _pack_form_factory(pack_forms or {}),
        "new_pack": new_pack or PackForm(formdata=None, prefix="new"),
        "packs_error": packs_error, "packs_message": packs_message,
        "stock_message": stock_message, "low": catalog_admin.is_low_on_stock(product),
        "unit_locked": bool(product.variants or product.stock),
        **_ledger_context(product),
    }


def _edit_url(product_id: int, anchor: str | None = None) -> str:
    return url_for("admin.edit_product", product_id=product_id, _anchor=anchor)


# --- products ----------------------------------------------------------------------------

@bp.get("/products")
def list_products():
    search = request.args.get("q", "")[:80]
    category_id = parse_id(request.args.get("category"))  # not type=int: 2**40 is no id
    status = request.args.get("status", "all")
    if status not in catalog_admin.PRODUCT_STATUSES:
        status = "all"
    products = catalog_admin.list_products(search, category_id, status)
    return render_page_or_block(
        LIST, "results", products=products, categories=catalog_admin.list_categories(),
        q=search, category_id=category_id, show=status, stock_form=_stock_form,
        is_low=catalog_admin.is_low_on_stock, list_path=request.full_path.rstrip("?"))


def _new_form(formdata=None) -> NewProductForm:
    form = NewProductForm(formdata=formdata) if formdata is not None else NewProductForm()
    form.category_id.choices = _category_choices()
    return form


@bp.get("/products/new")
def new_product():
    if request.args.get("add_pack"):
        # "Add pack" with htmx: the pack rows again, as typed, plus one blank row.
        form = _new_form(formdata=request.args)
        if len(form.packs) < form.packs.max_entries:
            form.packs.append_entry()
        return render_page_or_block(NEW, "pack_rows", form=form)
    form = _new_form(formdata=None)
    return render_template(NEW, form=form)


@bp.post("/products/new")
def create_product():
    form = _new_form()
    if request.form.get("add_pack"):
        # "Add pack" without JavaScript: the same form with one more row, nothing saved.
        if len(form.packs) < form.packs.max_entries:
            form.packs.append_entry()
        return render_template(NEW, form=form)
    valid = form.validate()
    photo = _read_photo(form)
    rows = [row.form for row in form.packs if row.form.filled()]
    if valid and not form.photo.errors:
        packs = [PackDetails(r.name.data.strip(), r.quantity.data, r.price.data,
                             (r.name_hi.data or "").strip()) for r in rows]
        try:
            product = catalog_admin.create_product(_details(form), packs)
        except DomainError as error:
            status = _form_status(error)
            if error.field and error.field.startswith("packs-"):
                _packs, index, name = error.field.split("-", 2)
                target = rows[int(index)]._fields.get(name)
                if target is not None:
                    target.errors = [*target.errors, error.message]
                else:
                    form.packs.errors.append(error.message)
            elif error.field == "packs":
                form.form_errors.append(error.message)
            else:
                _show_error(form, error)
            return render_template(NEW, form=form), status
        flash(_('%(name)s is saved. Now set its stock.', name=product.name), "success")
        if photo is not None:
            try:
                catalog_admin.set_product_photo(product.id, photo)
            except DomainError as error:
                flash(_('The photo was not saved: %(message)s', message=error.message), "error")
        return redirect(_edit_url(product.id), 303)
    return render_template(NEW, form=form), 422


@bp.get("/products/<id:product_id>")
def edit_product(product_id: int):
    product = catalog_admin.get_product(product_id)
    return render_template(EDIT, **_edit_context(product))


@bp.post("/products/<id:product_id>")
def update_product(product_id: int):
    product = catalog_admin.get_product(product_id)
    form = ProductForm(prefix="")
    form.category_id.choices = _category_choices()
    valid = form.validate()
    photo = _read_photo(form)
    status = 422
    if valid and not form.photo.errors:
        try:
            catalog_admin.update_product(product.id, _details(form))
            if photo is not None:
                catalog_admin.set_product_photo(product.id, photo)
        except DomainError as error:
            status = _form_status(error)
            _show_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(_edit_url(product.id), 303)
    db.session.rollback()
    product = catalog_admin.get_product(product_id)
    return render_template(EDIT, **_edit_context(product, form=form)), status


# --- packs -------------------------------------------------------------------------------

def _packs_response(product_id: int, status: int = 200, message: str | None = None, **forms):
    """htmx: the packs section again. Without htmx: 303 to the page, or the page with 422."""
    db.session.rollback()  # read the committed state, not what a refused change left behind
    if status < 300 and not is_htmx():
        if message:
            flash(message, "success")
        return redirect(_edit_url(product_id, "packs"), 303)
    product = catalog_admin.get_product(product_id)
    context = _edit_context(product, packs_message=message if status < 300 else None, **forms)
    if is_htmx():
        return render_template("admin/products/_packs.html", **context), status
    return render_template(EDIT, **context), status


@bp.post("/products/<id:product_id>/packs")
def add_pack(product_id: int):
    catalog_admin.get_product(product_id)
    form = PackForm(prefix="new")
    if form.validate():
        try:
            variant = catalog_admin.add_pack(
                product_id, PackDetails(form.name.data, form.quantity.data, form.price.data,
                                        form.name_hi.data or ""),
                actor=actor())
        except DomainError as error:
            _show_error(form, error)
            return _packs_response(product_id, _form_status(error), new_pack=form)
        return _packs_response(product_id, message=_('Added the pack %(name)s.', name=variant.name))
    return _packs_response(product_id, 422, new_pack=form)


@bp.post("/products/<id:product_id>/packs/<id:variant_id>")
def update_pack(product_id: int, variant_id: int):
    form = PackForm(prefix=f"p{variant_id}")
    if form.validate():
        try:
            variant = catalog_admin.update_pack(
                product_id, variant_id,
                PackDetails(form.name.data, form.quantity.data, form.price.data,
                            form.name_hi.data or ""),
                actor=actor())
        except DomainError as error:
            status = _form_status(error)
            _show_error(form, error)
            return _packs_response(product_id, status, pack_forms={variant_id: form})
        return _packs_response(product_id, message=_('Updated the pack %(name)s.', name=variant.name))
    catalog_admin.get_product(product_id)  # an unknown product is a 404, not a 422
    return _packs_response(product_id, 422, pack_forms={variant_id: form})


def _pack_action(product_id: int, variant_id: int, action, message: str):
    try:
        action()
    except DomainError as error:
        return _packs_response(product_id, _form_status(error), packs_error=error.message)
    return _packs_response(product_id, message=message)


@bp.post("/products/<id:product_id>/packs/<id:variant_id>/<any(up, down):direction>")
def move_pack(product_id: int, variant_id: int, direction: str):
    return _pack_action(product_id, variant_id,
                        lambda: catalog_admin.move_pack(product_id, variant_id, direction),
                        _('Moved the pack %(direction)s.', direction=direction))


@bp.post("/products/<id:product_id>/packs/<id:variant_id>/hide")
def hide_pack(product_id: int, variant_id: int):
    return _pack_action(product_id, variant_id,
                        lambda: catalog_admin.set_pack_active(product_id, variant_id, False),
                        _("The pack is hidden from customers."))


@bp.post("/products/<id:product_id>/packs/<id:variant_id>/show")
def show_pack(product_id: int, variant_id: int):
    return _pack_action(product_id, variant_id,
                        lambda: catalog_admin.set_pack_active(product_id, variant_id, True),
                        _("The pack is on sale again."))


@bp.post("/products/<id:product_id>/packs/<id:variant_id>/default")
def make_default_pack(product_id: int, variant_id: int):
    return _pack_action(product_id, variant_id,
                        lambda: catalog_admin.make_default_pack(product_id, variant_id),
                        _("Default pack chosen."))


# --- stock -------------------------------------------------------------------------------

@bp.post("/products/<id:product_id>/stock")
def adjust_stock(product_id: int):
    product = catalog_admin.get_product(product_id)
    origin = "list" if request.form.get("from") == "list" else "product"
    form = StockForm(prefix=f"s{product.id}")
    status = 422
    if form.validate():
        change, new_total = form.change_for(product.unit)
        if not form.amount.errors:
            try:
                movement = stock.adjust_stock(product.id, change=change, new_total=new_total,
                                              reason=form.reason.data, actor=actor(),
                                              note=form.note.data or "")
            except DomainError as error:
                status = _form_status(error)
                _show_error(form, error)
            else:
                status = 200
    db.session.rollback()
    product = catalog_admin.get_product(product_id)
    message = None
    if status == 200:
        message = (_('Stock of %(name)s is now %(stock_after)s.', name=product.name, stock_after=format_quantity(movement.stock_after, product.unit)))
        if not is_htmx():
            flash(message, "success")
            return redirect(_safe_next(form.next.data, _edit_url(product.id, "stock")), 303)
        form = None  # a fresh, empty form after a change
    if is_htmx() and origin == "list":
        return render_template("admin/products/_row.html", product=product,
                               stock_form=lambda p: _stock_form(p, form),
                               is_low=catalog_admin.is_low_on_stock, stock_message=message,
                               list_path=_safe_next(request.form.get(f"s{product.id}-next"),
                                                    url_for("admin.list_products"))), status
    context = _edit_context(product, stock_form=form, stock_message=message)
    if is_htmx():
        return render_template("admin/products/_stock.html", with_ledger=True, **context), status
    return render_template(EDIT, **context), status


# --- categories --------------------------------------------------------------------------

def _render_categories(status: int = 200, new_form: CategoryForm | None = None,
                       bound: dict | None = None, error: str | None = None,
                       message: str | None = None):
    bound = bound or {}

    def rename_form(category) -> CategoryForm:
        return bound.get(category.id) or CategoryForm(formdata=None, prefix=f"c{category.id}",
                                                      data={"name": category.name,
                                                            "name_hi": category.name_hi})

    return render_page_or_block(
        CATEGORIES, "categories", status=status, categories=catalog_admin.list_categories(),
        rename_form=rename_form, new_form=new_form or CategoryForm(formdata=None, prefix="new"),
        error=error, message=message)


def _categories_page(status: int = 200, message: str | None = None, **forms):
    """htmx: the categories section again. Without htmx: 303 to the page, or 422 with it."""
    db.session.rollback()
    if status < 300 and not is_htmx():
        if message:
            flash(message, "success")
        return redirect(url_for("admin.list_categories"), 303)
    return _render_categories(status, message=message if status < 300 else None, **forms)


@bp.get("/categories")
def list_categories():
    return _render_categories()


@bp.post("/categories")
def create_category():
    form = CategoryForm(prefix="new")
    if form.validate():
        try:
            category = catalog_admin.create_category(form.name.data, form.name_hi.data or "")
        except DomainError as error:
            _show_error(form, error)
            return _categories_page(_form_status(error), new_form=form)
        return _categories_page(message=_('Added %(name)s.', name=category.name))
    return _categories_page(422, new_form=form)


@bp.post("/categories/<id:category_id>")
def rename_category(category_id: int):
    form = CategoryForm(prefix=f"c{category_id}")
    if form.validate():
        try:
            category = catalog_admin.rename_category(category_id, form.name.data,
                                                     form.name_hi.data or "")
        except DomainError as error:
            status = _form_status(error)
            _show_error(form, error)
            return _categories_page(status, bound={category_id: form})
        return _categories_page(message=_('Renamed to %(name)s.', name=category.name))
    if db.session.get(Category, category_id) is None:
        abort(404)
    return _categories_page(422, bound={category_id: form})


@bp.post("/categories/<id:category_id>/<any(up, down):direction>")
def move_category(category_id: int, direction: str):
    try:
        catalog_admin.move_category(category_id, direction)
    except DomainError as error:
        return _categories_page(_form_status(error), error=error.message)
    return _categories_page(message=_('Moved %(direction)s.', direction=direction))
