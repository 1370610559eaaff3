"""Forms for the catalogue pages. They parse what the owner types (rupees, kg) into the
integers the services take (paise, grams or pieces); the services own the rules."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..formatting import parse_rupees, parse_whole_number, rupees_text
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import Unit
from ..services.stock import ADJUST_REASONS

AMOUNT = re.compile(r"^([+\-−]?)(\d{1,9}(?:\.\d{1,6})?)$")


class RupeesField(StringField):
    """The owner types rupees (580 or 580.50); .data is paise, or None when unreadable."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = parse_rupees(self.raw) if self.raw.strip() else None
        if self.raw.strip() and self.data is None:
            raise ValueError("Please give the price in rupees, like 580 or 580.50.")

    def process_data(self, value):
        self.raw = rupees_text(value)
        self.data = value

    def _value(self):
        return self.raw if self.raw is not None else ""


class WholeNumberField(IntegerField):
    """An IntegerField with a friendly message and a numeric keypad on phones."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip().replace(",", "")
        if not text:
            self.data = None
            return
        self.data = parse_whole_number(text)
        if self.data is None:
            raise ValueError("Please give a whole number, like 250.")


class PackFields:
    """The three things a pack is: shared by the new-product rows and the pack editor."""
    name = StringField(_l("Pack name"), validators=[Length(max=60)],
                       render_kw={"autocomplete": "off", "placeholder": "500 g box"})
    name_hi = StringField(_l("In Hindi"), validators=[Length(max=60)],
                          render_kw={"lang": "hi", "autocomplete": "off"})
    quantity = WholeNumberField(_l("Quantity"))
    price = RupeesField(_l("Price (₹)"), render_kw={"inputmode": "decimal", "autocomplete": "off"})

    def filled(self) -> bool:
        return any((f.raw_data or [""])[0].strip() for f in (self.name, self.quantity, self.price)
                   if f.raw_data)

    def check_complete(self) -> bool:
        ok = True
        for f, message in ((self.name, _("Please name the pack.")),
                           (self.quantity, _("Please give the quantity.")),
                           (self.price, _("Please give the price."))):
            if f.data in (None, "") and not f.errors:
                f.errors = [*f.errors, message]
                ok = False
        return ok


class PackRowForm(PackFields, Form):
    """One row of packs on the new-product form. A row left blank is ignored."""

    def validate(self, extra_validators=None):
        if not self.filled():
            # Blank rows carry no errors, even if their fields could not be read.
            for f in self:
                f.errors = []
            return True
        return super().validate(extra_validators) and self.check_complete()


class PackForm(PackFields, FlaskForm):
    """Add or change one pack on the product page (each row has its own prefix)."""

    def validate(self, extra_validators=None):
        return super().validate(extra_validators) and self.check_complete()


def unit_choices():
    return [(Unit.GRAM.value, _l("Weight")), (Unit.PIECE.value, _l("Piece"))]


class ProductForm(FlaskForm):
    # English, Hindi, or both: the shop shows the other when one is empty.
    name = StringField(_l("Name"), validators=[Length(max=120)])
    name_hi = StringField(_l("In Hindi"), validators=[Length(max=120)],
                          render_kw={"lang": "hi", "autocomplete": "off"})
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    description_hi = TextAreaField(_l("Described in Hindi"), validators=[Length(max=2000)],
                                   render_kw={"lang": "hi"})
    aliases = StringField(
        _l("Aliases"), validators=[Length(max=500)], render_kw={"autocomplete": "off"},
        description=_l("Other names customers search for, separated by commas: "
                       "kaju barfi, काजू कतली. Spelling variants are found anyway."))
    category_id = SelectField(_l("Category"), coerce=int,
                              validate_choice=True)
    unit = RadioField(_l("Sold by"), choices=unit_choices(), default=Unit.GRAM.value,
                      validators=[InputRequired(_l("Please choose weight or piece."))])
    active = BooleanField(_l("On sale in the shop"), default=True,
                          description=_l("Untick to hide the sweet from customers."))
    low_stock_threshold = WholeNumberField(
        _l("Low-stock threshold"), default=0,
        validators=[Optional(), NumberRange(min=0, max=10_000_000)],
        description=_l("In grams for sweets sold by weight, in pieces otherwise. "
                    "The list marks the sweet when stock falls to this."))
    photo = FileField(_l("Photo"), description=_l("A JPEG, PNG or WebP photo, at most 5 MB."),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})

    def validate_name(self, field):
        if not (field.data or "").strip() and not (self.name_hi.data or "").strip():
            raise ValidationError(_("Please give the sweet a name."))


class NewProductForm(ProductForm):
    packs = FieldList(FormField(PackRowForm), min_entries=1, max_entries=12)
    add_pack = HiddenField()


class CategoryForm(FlaskForm):
    name = StringField(_l("Category name"), validators=[DataRequired(_l("Please give the category a name.")),
                                                    Length(max=80)],
                       render_kw={"autocomplete": "off"})
    name_hi = StringField(_l("In Hindi"), validators=[Length(max=80)],
                          render_kw={"lang": "hi", "autocomplete": "off"})


class MoveForm(FlaskForm):
    direction = SelectField(choices=[("up", _l("Up")), ("down", _l("Down"))])


STOCK_MODES = [("set", _l("Set to")), ("add", _l("Add")), ("remove", _l("Take off"))]


class StockForm(FlaskForm):
    mode = SelectField(_l("Change"), choices=STOCK_MODES, default="set")
    amount = StringField(_l("Stock"), validators=[DataRequired(_l("Please give an amount."))],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    unit = SelectField(_l("Unit"), choices=[("kg", "kg"), ("g", "g")], default="kg")
    reason = SelectField(_l("Reason"), choices=[(r, r.capitalize()) for r in ADJUST_REASONS])
    note = StringField(_l("Note"), validators=[Length(max=200)], render_kw={"autocomplete": "off"})
    next = HiddenField()

    def change_for(self, unit: Unit) -> tuple[int | None, int | None]:
        """(change, new_total) in the product's base unit, or (None, None) with an error set."""
        match = AMOUNT.match((self.amount.data or "").strip().replace(",", "").replace(" ", ""))
        if not match:
            self.amount.errors.append(_("Please give a number, like 2.5 or 500."))
            return None, None
        sign, number = match.groups()
        factor = 1000 if unit is Unit.GRAM and self.unit.data == "kg" else 1
        try:
            value = Decimal(number) * factor
        except InvalidOperation:
            value = Decimal("0.5")
        if value != value.to_integral_value():
            self.amount.errors.append(_("That is not a whole number of grams.")
                                      if unit is Unit.GRAM else
                                      _("That is not a whole number of pieces."))
            return None, None
        amount = int(value)
        mode = {"+": "add", "-": "remove", "−": "remove"}.get(sign, self.mode.data)
        if mode == "set":
            return None, amount
        if amount == 0:
            self.amount.errors.append(_("Please give an amount above zero to add or take off."))
            return None, None
        return (amount if mode == "add" else -amount), None
