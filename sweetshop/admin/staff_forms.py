"""Forms of the staff page and the set-up link."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..form_filters import strip
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l

ROLE_CHOICES = [("counter", _l("Counter: orders, stock, packing")),
                ("delivery", _l("Delivery: only their deliveries")),
                ("owner", _l("Owner: everything"))]


class StaffForm(FlaskForm):
    name = StringField(_("Name"), filters=[strip], validators=[
        DataRequired(_("Please give their name.")), Length(max=80)])
    phone = StringField(_("Mobile number"), filters=[strip], validators=[
        DataRequired(_("Please give their mobile number.")), Length(max=32)],
        description=_("They sign in with this number."))
    email = EmailField(_("Email (optional)"), filters=[strip], validators=[
        Optional(), Length(max=254)])
    role = SelectField(_("Role"), choices=ROLE_CHOICES, default="counter", validate_choice=True)


class RoleForm(FlaskForm):
    role = SelectField(_("Role"), choices=ROLE_CHOICES, validate_choice=True)


class SetupPasswordForm(FlaskForm):
    password = PasswordField(_("New password"), validators=[
        DataRequired(_("Please choose a password.")), Length(max=200)],
        description=_("At least 10 characters. A short sentence is easy to remember."))
