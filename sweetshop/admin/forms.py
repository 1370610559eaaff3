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
from ..models import OrderStatus


class LoginForm(FlaskForm):
    email = StringField("Email or mobile number", validators=[
        DataRequired("Please enter your email or mobile number."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Please enter your password."),
                                                     Length(max=200)])
    next = HiddenField()


# --- Orders ---------------------------------------------------------------------------------

def _sensible_date(field):
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError("Please choose a date between the years 2000 and 2100.")


class OrderFilterForm(FlaskForm):
    """The orders list's filters: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Search", filters=[one_line],
                    validators=[Length(max=100, message="Please search with fewer words.")],
                    description="Order number, customer name or phone")
    status = SelectField("Status", choices=[("", "All statuses")] + [
        (s.value, s.label) for s in OrderStatus], default="", validate_choice=True)
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    due_on = DateField("Due on", validators=[Optional()],
                       description="Orders for that day, in the order they are due")
    slot = SelectField("Slot", choices=[("", "All times")], default="", validate_choice=False)
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(min=1, max=10_000)])

    def validate_date_from(self, field):
        _sensible_date(field)

    def validate_due_on(self, field):
        _sensible_date(field)

    def validate_date_to(self, field):
        _sensible_date(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


class StatusChangeForm(FlaskForm):
    """One button on the order page: the status wanted and the one the owner saw."""
    to_status = HiddenField()
    expected_from = HiddenField()
    note = TextAreaField("Reason", validators=[Length(max=500, message=(
        "Please keep the reason under 500 characters."))])


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
    name = StringField("Shop name", filters=[strip], validators=[
        DataRequired("Please give the shop's name."),
        Length(max=80, message="Please keep the name under 80 characters.")])
    phone = StringField("Shop phone", filters=[strip], validators=[Length(max=32, message=(
        "That does not look like a phone number."))],
        description="A mobile number customers can call, e.g. 98765 43210.")
    is_open = RadioField("Taking orders", choices=[("open", "Open"), ("closed", "Closed")],
                         validators=[DataRequired("Please choose open or closed.")],
                         description="Closed: customers can browse, but checkout is refused.")
    delivery_fee_paise = RupeeField("Delivery fee (₹)", description="0 for free delivery.")
    free_delivery_above_paise = RupeeField(
        "Free delivery from (₹)",
        description="Orders of this amount or more travel free. 0: never free.")
    min_order_paise = RupeeField("Minimum order (₹)", description="0: no minimum.")
    # The COD limit lives on the cash-on-delivery screen (admin/cod_views.py).
    owner_phones = TextAreaField(
        "Phones told about new orders", validators=[Length(max=500, message=(
            "That list is too long."))],
        description="Mobile numbers that get a message for every new order, separated by "
                    "commas or new lines. Empty: no messages.")
    serviceable_pincodes = TextAreaField(
        "Delivery pincodes", validators=[Length(max=20_000, message="That list is too long.")],
        description="6-digit pincodes, separated by commas or new lines. "
                    "Empty: deliver to any pincode.")


def _profile_fields(form_class):
    """The shop's public profile on the settings page (issue 13): the footer, the shop page
    and link previews show it. (WTForms picks up fields set on the class afterwards.)"""
    form_class.tagline = StringField(
        "Tagline", filters=[strip], validators=[Length(max=160, message=(
            "Please keep the tagline under 160 characters."))],
        description="One line under the name, e.g. Fresh mithai, made every morning in ghee.")
    form_class.address = TextAreaField(
        "Shop address", filters=[strip], validators=[Length(max=300, message=(
            "Please keep the address under 300 characters."))],
        description="Shown on every page and the shop page, with a map link.")
    form_class.fssai_number = StringField(
        "FSSAI licence number", filters=[strip], validators=[Length(max=20, message=(
            "An FSSAI licence number has 14 digits."))],
        description="14 digits. Food businesses selling online must show it.")
    form_class.whatsapp_number = StringField(
        "WhatsApp number", filters=[strip], validators=[Length(max=32, message=(
            "That does not look like a phone number."))],
        description="Empty: the shop phone above.")
    form_class.theme_color = StringField(
        "Theme colour", filters=[strip], validators=[Length(max=7)],
        description="The header and buttons. It must be dark enough for white text.")
    return form_class


_profile_fields(SettingsForm)


class PolicyForm(FlaskForm):
    body = TextAreaField("Text", validators=[Length(max=20_000, message=(
        "Please keep the page under 20,000 characters."))],
        description="Plain text. A blank line starts a new paragraph. Empty: our default text.")
