"""Admin forms: they parse and check input; services apply the business rules."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..form_filters import one_line, strip
from ..formatting import parse_rupees, rupees_text
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import OrderStatus


class LoginForm(FlaskForm):
    email = StringField(_l("Email or mobile number"), validators=[
        DataRequired(_l("Please enter your email or mobile number.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password.")),
                                                     Length(max=200)])
    next = HiddenField()


# --- Orders ---------------------------------------------------------------------------------

def _sensible_date(field):
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_("Please choose a date between the years 2000 and 2100."))


class OrderFilterForm(FlaskForm):
    """The orders list's filters: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[one_line],
                    validators=[Length(max=100, message=_l("Please search with fewer words."))],
                    description=_l("Order number, customer name or phone"))
    status = SelectField(_l("Status"), choices=[("", _l("All statuses"))] + [
        (s.value, s.value) for s in OrderStatus], default="", validate_choice=True)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    due_on = DateField(_l("Due on"), validators=[Optional()],
                       description=_l("Orders for that day, in the order they are due"))
    slot = SelectField(_l("Slot"), choices=[("", _l("All times"))], default="", validate_choice=False)
    page = IntegerField(_l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=10_000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The statuses' names in the page's language (read per request, not at import).
        self.status.choices = [("", _("All statuses"))] + [(s.value, s.label) for s in OrderStatus]

    def validate_date_from(self, field):
        _sensible_date(field)

    def validate_due_on(self, field):
        _sensible_date(field)

    def validate_date_to(self, field):
        _sensible_date(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("The end date is before the start date."))


class StatusChangeForm(FlaskForm):
    """One button on the order page: the status wanted and the one the owner saw."""
    to_status = HiddenField()
    expected_from = HiddenField()
    note = TextAreaField(_l("Reason"), validators=[Length(max=500, message=(
        _l("Please keep the reason under 500 characters.")))])


# --- Shop settings --------------------------------------------------------------------------



class RupeeField(StringField):
    """An amount typed in rupees ('40', '40.50', '₹1,150'), held as integer paise.

    Empty reads as 0 (every money setting treats 0 as "none").
    """

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return rupees_text(self.data)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip()
        if not text:
            self.data = 0
            return
        self.data = parse_rupees(text)
        if self.data is None:
            if text.lstrip("₹ ").startswith(("-", "−")):
                raise ValueError("Please give an amount of ₹0 or more.")
            raise ValueError("Please give an amount in rupees, e.g. 40 or 40.50.")


class SettingsForm(FlaskForm):
    name = StringField(_l("Shop name"), filters=[strip], validators=[
        DataRequired(_l("Please give the shop's name.")),
        Length(max=80, message=_l("Please keep the name under 80 characters."))])
    phone = StringField(_l("Shop phone"), filters=[strip], validators=[Length(max=32, message=(
        _l("That does not look like a phone number.")))],
        description=_l("A mobile number customers can call, e.g. 98765 43210."))
    is_open = RadioField(_l("Taking orders"), choices=[("open", _l("Open")), ("closed", _l("Closed"))],
                         validators=[DataRequired(_l("Please choose open or closed."))],
                         description=_l("Closed: customers can browse, but checkout is refused."))
    delivery_fee_paise = RupeeField(_l("Delivery fee (₹)"), description=_l("0 for free delivery."))
    free_delivery_above_paise = RupeeField(
        _l("Free delivery from (₹)"),
        description=_l("Orders of this amount or more travel free. 0: never free."))
    min_order_paise = RupeeField(_l("Minimum order (₹)"), description=_l("0: no minimum."))
    # The COD limit lives on the cash-on-delivery screen (admin/cod_views.py).
    owner_phones = TextAreaField(
        _l("Phones told about new orders"), validators=[Length(max=500, message=(
            _l("That list is too long.")))],
        description=_l("Mobile numbers that get a message for every new order, separated by "
                    "commas or new lines. Empty: no messages."))
    serviceable_pincodes = TextAreaField(
        _l("Delivery pincodes"), validators=[Length(max=20_000, message=_l("That list is too long."))],
        description=_l("6-digit pincodes, separated by commas or new lines. "
                    "Empty: deliver to any pincode."))


def _profile_fields(form_class):
    """The shop's public profile on the settings page (issue 13): the footer, the shop page
    and link previews show it. (WTForms picks up fields set on the class afterwards.)"""
    form_class.tagline = StringField(
        _l("Tagline"), filters=[strip], validators=[Length(max=160, message=(
            _l("Please keep the tagline under 160 characters.")))],
        description=_l("One line under the name, e.g. Fresh mithai, made every morning in ghee."))
    form_class.address = TextAreaField(
        _l("Shop address"), filters=[strip], validators=[Length(max=300, message=(
            _l("Please keep the address under 300 characters.")))],
        description=_l("Shown on every page and the shop page, with a map link."))
    form_class.fssai_number = StringField(
        _l("FSSAI licence number"), filters=[strip], validators=[Length(max=20, message=(
            _l("An FSSAI licence number has 14 digits.")))],
        description=_l("14 digits. Food businesses selling online must show it."))
    form_class.whatsapp_number = StringField(
        _l("WhatsApp number"), filters=[strip], validators=[Length(max=32, message=(
            _l("That does not look like a phone number.")))],
        description=_l("Empty: the shop phone above."))
    form_class.theme_color = StringField(
        _l("Theme colour"), filters=[strip], validators=[Length(max=7)],
        description=_l("The header and buttons. It must be dark enough for white text."))
    return form_class


_profile_fields(SettingsForm)


class PolicyForm(FlaskForm):
    body = TextAreaField(_l("Text"), validators=[Length(max=20_000, message=(
        _l("Please keep the page under 20,000 characters.")))],
        description=_l("Plain text. A blank line starts a new paragraph. Empty: our default text."))
