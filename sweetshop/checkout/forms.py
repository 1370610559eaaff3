from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, StopValidation, ValidationError

from ..form_filters import ascii_digits, one_line, strip
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..phones import normalise_phone
from ..services.errors import DomainError
from ..services.gst import check_gstin

ONLINE_LABEL = _l("Pay online (UPI, cards, netbanking)")


def delivery_only(form, field):
    """Address and pincode matter only for delivery: for pickup, stop without an error."""
    if form.fulfilment.data == "pickup":
        field.errors = []
        raise StopValidation()


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
        delivery_only,
        DataRequired(_l("Please give the address to deliver to.")),
        Length(min=10, max=500, message=_l("Please give the full address (10 to 500 characters).")),
    ])
    pincode = StringField(_l("Pincode"), filters=[strip, ascii_digits], validators=[
        delivery_only,
        DataRequired(_l("Please give the 6-digit pincode.")),
        Regexp(r"^[1-9][0-9]{5}$", message=_l("A pincode has 6 digits, e.g. 560001.")),
    ])
    note = TextAreaField(_l("Note"), filters=[strip], validators=[
        Length(max=500, message=_l("Please keep the note under 500 characters.")),
    ], description=_l("Optional: a landmark, a time that suits you, or a message for the shop."))
    payment_method = RadioField(_l("Payment"), choices=[("cod", _l("Cash on delivery"))], default="cod",
                                validate_choice=False,
                                validators=[DataRequired(_l("Please choose how you will pay."))])
    notify_whatsapp = BooleanField(_l("Send updates on WhatsApp"), description=_l(
        "Otherwise we send updates by SMS to the number above."))
    # Optional: a business customer's details, for a B2B tax invoice.
    buyer_gstin = StringField(_l("GSTIN"), filters=[strip], validators=[
        Length(max=20, message=_l("A GSTIN has 15 characters, e.g. 29ABCDE1234F1Z5."))],
        description=_l("Optional: for a GST invoice in your business's name."))
    buyer_business_name = StringField(_l("Business name"), filters=[one_line], validators=[
        Length(max=120, message=_l("Please keep the business name under 120 characters."))])
    # How and when (issue 11). The choices are checked by services.slots, never here.
    fulfilment = RadioField(_l("How would you like it?"), default="delivery", validate_choice=False,
                            choices=[("delivery", _l("Delivery")), ("pickup", _l("Pickup from the shop"))])
    slot = StringField(_l("When"), filters=[strip], validators=[Length(max=20)])
    day = StringField(_l("Day"), filters=[strip], validators=[Length(max=10)])
    # Returning customers: which saved address ("0".."4", or "new"), and opting in to be
    # remembered on this phone (services/returning).
    address_choice = HiddenField(default="new")
    remember = BooleanField(_l("Remember me next time"), description=_l(
        "This phone fills in your name, number and addresses next time. Leave it "
        "unticked on a shared phone."))
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

    def validate_buyer_gstin(self, field):
        field.gstin = ""
        if field.data:
            try:
                field.gstin = check_gstin(field.data, field="buyer_gstin")
            except DomainError as error:
                raise ValidationError(error.message) from None

    def validate_buyer_business_name(self, field):
        if self.buyer_gstin.data and not field.data:
            raise ValidationError(_("Please give the business name the GSTIN belongs to."))

    def validate_phone(self, field):
        e164 = normalise_phone(field.data)
        if e164 is None:
            raise ValidationError(_("Please give a valid Indian mobile number, e.g. 98765 43210."))
        field.e164 = e164
