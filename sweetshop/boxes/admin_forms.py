"""The owner's box-type form: what they type (rupees, grams) as the integers services take."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..admin.catalog_forms import RupeesField, WholeNumberField
from ..i18n import gettext as _


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass  # the service says which ids are wrong, by name


class BoxTypeForm(FlaskForm):
    name = StringField(_("Name"), validators=[Length(max=120)],
                       render_kw={"placeholder": _("Assorted gift box"), "autocomplete": "off"})
    description = TextAreaField(_("Description"), validators=[Length(max=2000)])
    unit = RadioField(_("Sold"), choices=[("g", _("By weight (grams)")),
                                          ("pc", _("By the piece"))], default="g")
    size = WholeNumberField(_("Size"), description=_("Grams (1000 for 1 kg) or pieces in one box."))
    division = RadioField(_("Divided into"), default="compartments", choices=[
        ("compartments", _("Fixed compartments of equal size")),
        ("free", _("Free portions in steps"))])
    compartments = WholeNumberField(_("Compartments"),
                                    description=_("For fixed compartments, e.g. 4 for 4 × 250 g."))
    step = WholeNumberField(_("Step"), description=_("For free portions, e.g. 50 (grams)."))
    min_sweets = WholeNumberField(_("Fewest different sweets"), default=1)
    max_sweets = WholeNumberField(_("Most different sweets"), default=4)
    box_charge = RupeesField(_("Box charge (₹)"), description=_("Added to each box's price."),
                             render_kw={"inputmode": "decimal", "autocomplete": "off"})
    pricing = RadioField(_("Price"), default="sum", choices=[
        ("sum", _("Each portion at its sweet's own per-kg price, rounded up to the rupee")),
        ("fixed", _("A fixed price"))])
    fixed_price = RupeesField(_("Fixed price (₹)"),
                              render_kw={"inputmode": "decimal", "autocomplete": "off"})
    sweet_ids = CheckboxesField(_("Sweets that may go in"), coerce=int)
    active = BooleanField(_("On sale (shown in the shop)"), default=True)


class MixForm(FlaskForm):
    mix_name = StringField(_("Mix name"), validators=[Length(max=80)],
                           render_kw={"placeholder": _("Diwali mix"), "autocomplete": "off"})
