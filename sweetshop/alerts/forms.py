"""The escalation settings form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, TimeField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..i18n import gettext as _


class AlertSettingsForm(FlaskForm):
    alert_reminder_minutes = IntegerField(
        _("Minutes until the reminder"),
        validators=[InputRequired(_("Please give a number of minutes.")),
                    NumberRange(min=0, max=240, message=_("Please give between 0 and 240 minutes."))],
        description=_("A WhatsApp/SMS to the alert phones and a new push, if nobody has "
                      "accepted the order by then. 0: no reminder."))
    alert_call_minutes = IntegerField(
        _("Minutes until the phone call"),
        validators=[InputRequired(_("Please give a number of minutes.")),
                    NumberRange(min=0, max=240, message=_("Please give between 0 and 240 minutes."))],
        description=_("Then each alert phone is called in turn; pressing 1 accepts the "
                      "order. 0: no calls."))
    alert_language = RadioField(_("The call speaks"), choices=[("en", _("English")),
                                                             ("hi", _("Hindi"))],
                                validators=[InputRequired(_("Please choose a language."))])
    alert_at_night = BooleanField(_("Remind and call while the shop is closed too"),
                                  description=_("For pre-orders at night. Off: reminders and "
                                                "calls wait until the shop opens."))
    auto_accept = BooleanField(_("Accept new orders automatically"),
                               description=_("The alerts then only inform."))
    auto_accept_from = TimeField(_("Automatically from"), validators=[Optional()],
                                 description=_("Leave both times empty for all day."))
    auto_accept_until = TimeField(_("Automatically until"), validators=[Optional()])
