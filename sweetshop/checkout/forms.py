from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from ..form_filters import ascii_digits, one_line, strip
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..phones import normalise_phone

ONLINE_LABEL = _l("Pay online (UPI, cards, netbanking)")


class CheckoutForm(FlaskForm):
    name = StringField(_l("Name"), filters=[one_line], validators=[
        DataRequired(_l("Please tell us your name.")),
        Length(max=80, message=_l("Please keep your name under 80 characters.")),
    ])
    phone = StringField(_l("Phone"), filters=[strip], validators=[
        DataRequired(_l("Please give a mobile number, so we can reach you about the delivery.")),
        Length(max=32, message=_l("That does not look like a phone number.")),
    ], description=_l("A 10-digit Indian mobile number, e.g. 98765 43210."))
    address = TextAreaField(_l("Delivery address"), filters=[strip], validators=[
        DataRequired(_l("Please give the address to deliver to.")),
        Length(min=10, max=500, message=_l("Please give the full address (10 to 500 characters).")),
    ])
    pincode = StringField(_l("Pincode"), filters=[strip, ascii_digits], validators=[
        DataRequired(_l("Please give the 6-digit pincode.")),
        Regexp(r"^[1-9][0-9]{5}$", message=_l("A pincode has 6 digits, e.g. 560001.")),
    ])
    note = TextAreaField(_l("Note"), filters=[strip], validators=[
        Length(max=500, message=_l("Please keep the note under 500 characters.")),
    ], description=_l("Optional: a landmark, a time that suits you, or a message for the shop."))
    payment_method = RadioField(_l("Payment"), choices=[("cod", _l("Cash on delivery"))], default="cod",
                                validate_choice=False,
                                validators=[DataRequired(_l("Please choose how you will pay."))])
    notify_whatsapp = BooleanField(_l("Send updates on WhatsApp"), description=(
        _l("Otherwise we send updates by SMS to the number above.")))
    idempotency_key = HiddenField()
    # The basket this page showed, signed (services.checkout.basket_digest): a basket that
    # changed since is shown again instead of being ordered.
    basket = HiddenField()

    def __init__(self, *args, online_payment: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # "Pay online" is offered only when Razorpay is set up (see services.checkout).
        if online_payment:
            self.payment_method.choices = [("cod", _("Cash on delivery")), ("online", ONLINE_LABEL)]

    def validate_payment_method(self, field):
        if field.data not in {value for value, _ in field.choices}:
            if field.data == "online":
                raise ValidationError(_("Online payment is not available right now. "
                                      "Please choose cash on delivery."))
            raise ValidationError(_("Please choose how you will pay."))

    def validate_phone(self, field):
        e164 = normalise_phone(field.data)
        if e164 is None:
            raise ValidationError(_("Please give a valid Indian mobile number, e.g. 98765 43210."))
        field.e164 = e164
