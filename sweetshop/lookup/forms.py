"""Lookup forms: they parse and check input; services/otp.py and order_lookup.py apply the rules."""
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from ..form_filters import ascii_digits, no_spaces, strip
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..phones import normalise_phone
from ..services.order_lookup import parse_order_number


class _PhoneField(StringField):
    """A phone in any usual Indian format; `.e164` holds it normalised once validated."""
    e164: str | None = None


def _check_phone(form, field):
    field.e164 = normalise_phone(field.data)
    if field.e164 is None:
        raise ValidationError(_("Please give a valid Indian mobile number, e.g. 98765 43210."))


PHONE_HINT = _l("The mobile number you ordered with, e.g. 98765 43210.")


class PhoneForm(FlaskForm):
    phone = _PhoneField(_l("Phone"), filters=[strip], description=PHONE_HINT, validators=[
        DataRequired(_l("Please give your mobile number.")),
        Length(max=32, message=_l("That does not look like a phone number.")),
        _check_phone,
    ])


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), filters=[no_spaces, ascii_digits],
                       description=_l("The 6 digits in the message we sent."), validators=[
        DataRequired(_l("Please enter the code from the message.")),
        Regexp(r"^[0-9]{6}$", message=_l("The code has 6 digits.")),
    ])


class TrackForm(FlaskForm):
    number = StringField(_l("Order number"), filters=[strip], description=_l("For example 1042."),
                         validators=[DataRequired(_l("Please give the order number."))])
    phone = _PhoneField(_l("Phone"), filters=[strip], description=PHONE_HINT, validators=[
        DataRequired(_l("Please give the mobile number you ordered with.")),
        Length(max=32, message=_l("That does not look like a phone number.")),
        _check_phone,
    ])

    def validate_number(self, field):
        if parse_order_number(field.data) is None:
            raise ValidationError(_("An order number has only digits, e.g. 1042."))
