"""The owner's tax forms: they parse input; services/invoices.py checks the rules."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from ..form_filters import strip
from ..i18n import gettext as _
from ..services import gst

REGISTRATION_CHOICES = [
    ("none", _("Not registered: a plain receipt")),
    ("composition", _("Composition scheme: a bill of supply")),
    ("regular", _("Regular: a tax invoice")),
]
RATE_CHOICES = [(gst.rate_percent_text(r), gst.rate_label(r)) for r in gst.RATES_BP]


class TaxSettingsForm(FlaskForm):
    gst_registration = RadioField(_("GST registration"), choices=REGISTRATION_CHOICES,
                                  default="none", validate_choice=False)
    gstin = StringField(_("GSTIN"), filters=[strip], validators=[Length(max=20, message=_(
        "A GSTIN has 15 characters, e.g. 29ABCDE1234F1Z5."))],
        description=_("15 characters, e.g. 29ABCDE1234F1Z5. Needed when registered."))
    legal_name = StringField(_("Legal name"), filters=[strip], validators=[Length(max=120)],
                             description=_("The name the GSTIN is registered to."))
    state_code = SelectField(_("State"), choices=[("", _("Choose the state"))] + [
        (code, f"{code} {name}") for code, name in gst.STATES.items()], validate_choice=False)
    address = TextAreaField(_("Shop address"), filters=[strip], validators=[Length(max=500)],
                            description=_("Printed on every invoice."))
    fssai_number = StringField(_("FSSAI licence number"), filters=[strip],
                               validators=[Length(max=20, message=_(
                                   "An FSSAI licence number has 14 digits."))],
                               description=_("14 digits, printed on every invoice."))
    invoice_prefix = StringField(_("Invoice number prefix"), filters=[strip], default="INV",
                                 validators=[Length(max=3, message=_(
                                     "The invoice prefix is 1 to 3 letters or digits, e.g. MS."))],
                                 description=_("1 to 3 letters, e.g. MS gives MS/26-27/000123."))
    default_hsn = StringField(_("HSN code for sweets"), filters=[strip], default=gst.DEFAULT_HSN,
                              validators=[Length(max=10)],
                              description=_("4, 6 or 8 digits: 1704 for mithai, 2106 for "
                                            "namkeen. Each sweet can have its own below."))
    default_gst_rate = SelectField(_("GST rate for sweets"), choices=RATE_CHOICES, default="5",
                                   validate_choice=False,
                                   description=_("Mithai and namkeen: 5 per cent from 22 Sept 2025."))
    delivery_sac = StringField(_("SAC code for delivery"), filters=[strip],
                               default=gst.DELIVERY_SAC, validators=[Length(max=10)])
    delivery_gst_rate = SelectField(_("GST rate for delivery"), choices=RATE_CHOICES,
                                    default="5", validate_choice=False)


class ProductTaxForm(FlaskForm):
    hsn_code = StringField(_("HSN code"), filters=[strip], validators=[Length(max=10)])
    gst_rate = SelectField(_("GST rate"), choices=[("", _("Shop default"))] + RATE_CHOICES,
                           validate_choice=False)
