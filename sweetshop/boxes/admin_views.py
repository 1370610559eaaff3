"""The owner's box types: list, create, edit, hide or show, ready-made mixes; and a packing
slip for one order that lists each box's parts and its gift message.

Every URL requires a signed-in admin (the admin blueprint's require_owner). Each POST works
as a plain form: 303 back to the page, or the page again with 422 and the messages.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..admin import no_store, require_owner
from ..i18n import gettext as _
from ..models import BoxDivision, BoxPricing, Unit
from ..services import box_types
from ..services import boxes as box_service
from ..services.errors import DomainError, NotFound
from .admin_forms import BoxTypeForm, MixForm

bp = Blueprint("boxes_admin", __name__, url_prefix="/admin/boxes")
bp.before_request(require_owner)
bp.after_request(no_store)

LIST = "admin/boxes/list.html"
EDIT = "admin/boxes/edit.html"


def _choices(form: BoxTypeForm, box_type=None):
    form.sweet_ids.choices = [
        (p.id, f"{p.name}{'' if p.active else ' ' + _('(hidden)')} · "
               f"{_('by weight') if p.unit is Unit.GRAM else _('by the piece')}")
        for p in box_types.sweets_for()]


def _details(form: BoxTypeForm) -> box_types.BoxTypeDetails:
    return box_types.BoxTypeDetails(
        name=form.name.data or "", description=form.description.data or "",
        unit=Unit(form.unit.data if form.unit.data in ("g", "pc") else "g"),
        size=form.size.data or 0,
        division=BoxDivision(form.division.data if form.division.data in ("compartments", "free")
                             else "compartments"),
        compartments=form.compartments.data, step=form.step.data,
        min_sweets=form.min_sweets.data or 0, max_sweets=form.max_sweets.data or 0,
        box_charge_paise=form.box_charge.data or 0,
        pricing=BoxPricing(form.pricing.data if form.pricing.data in ("sum", "fixed") else "sum"),
        fixed_price_paise=form.fixed_price.data, sweet_ids=tuple(form.sweet_ids.data or ()),
        active=bool(form.active.data))


def _show_error(form, error: DomainError) -> None:
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.get("")
def list_box_types():
    return render_template(LIST, box_types=box_types.list_box_types(), describe=box_types.describe)


@bp.get("/new")
def new_box_type():
    form = BoxTypeForm(formdata=None)
    _choices(form)
    return render_template(EDIT, form=form, box_type=None)


@bp.post("/new")
def create_box_type():
    form = BoxTypeForm()
    _choices(form)
    if form.validate():
        try:
            box_type = box_types.save_box_type(_details(form))
        except DomainError as error:
            _show_error(form, error)
        else:
            flash(_("Saved the box %(name)s.", name=box_type.name), "success")
            return redirect(url_for(".edit_box_type", box_type_id=box_type.id), 303)
    return render_template(EDIT, form=form, box_type=None), 422


def _edit_page(box_type, form=None, mix_form=None, status=200, mix_error=None):
    if form is None:
        form = BoxTypeForm(formdata=None, data={
            "name": box_type.name, "description": box_type.description,
            "unit": box_type.unit.value, "size": box_type.size,
            "division": box_type.division.value, "compartments": box_type.compartments,
            "step": box_type.step, "min_sweets": box_type.min_sweets,
            "max_sweets": box_type.max_sweets, "box_charge": box_type.box_charge_paise,
            "pricing": box_type.pricing.value, "fixed_price": box_type.fixed_price_paise,
            "sweet_ids": [p.id for p in box_type.sweets], "active": box_type.active})
        _choices(form)
    return render_template(EDIT, form=form, box_type=box_type,
                           mix_form=mix_form or MixForm(formdata=None), mix_error=mix_error,
                           box=box_service), status


@bp.get("/<id:box_type_id>")
def edit_box_type(box_type_id: int):
    return _edit_page(box_types.get_box_type(box_type_id))


@bp.post("/<id:box_type_id>")
def update_box_type(box_type_id: int):
    box_type = box_types.get_box_type(box_type_id)
    form = BoxTypeForm()
    _choices(form)
    if form.validate():
        try:
            box_types.save_box_type(_details(form), box_type_id)
        except NotFound:
            raise
        except DomainError as error:
            _show_error(form, error)
        else:
            flash(_("Saved the box %(name)s.", name=form.name.data), "success")
            return redirect(url_for(".edit_box_type", box_type_id=box_type_id), 303)
    return _edit_page(box_type, form=form, status=422)


@bp.post("/<id:box_type_id>/<any(hide, show):action>")
def toggle_box_type(box_type_id: int, action: str):
    box_type = box_types.set_box_type_active(box_type_id, action == "show")
    flash(_("%(name)s is on sale.", name=box_type.name) if box_type.active else
          _("%(name)s is hidden from the shop.", name=box_type.name), "success")
    return redirect(request.form.get("back") == "list" and url_for(".list_box_types")
                    or url_for(".edit_box_type", box_type_id=box_type_id), 303)


@bp.post("/<id:box_type_id>/mixes")
def save_box_mix(box_type_id: int):
    box_type = box_types.get_box_type(box_type_id)
    mix_form = MixForm()
    try:
        mix_form.validate()
        mix = box_types.save_mix(box_type_id, mix_form.mix_name.data or "",
                                 box_service.parse_parts(request.form))
    except NotFound:
        raise
    except DomainError as error:
        return _edit_page(box_types.get_box_type(box_type.id), mix_form=mix_form, status=422,
                          mix_error=error.message)
    flash(_("Saved the mix %(name)s.", name=mix.name), "success")
    return redirect(url_for(".edit_box_type", box_type_id=box_type_id, _anchor="mixes"), 303)


@bp.post("/<id:box_type_id>/mixes/<id:mix_id>/delete")
def delete_box_mix(box_type_id: int, mix_id: int):
    box_types.delete_mix(box_type_id, mix_id)
    flash(_("Removed the mix."), "success")
    return redirect(url_for(".edit_box_type", box_type_id=box_type_id, _anchor="mixes"), 303)
