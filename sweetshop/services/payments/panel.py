"""What the owner's order page shows about an online payment."""


from ...integrations import razorpay as gateway_adapter
from ...models import (
    Order,
)
from .common import S, payment_for, refundable_paise
from .refunds import new_refund_key


class PaymentPanel:
    """What the admin order page shows about an online payment."""

    def __init__(self, order: Order):
        self.order = order
        self.payment = payment_for(order.id)
        self.refundable_paise = refundable_paise(self.payment)
        self.refund_key = new_refund_key()

    @property
    def attempts(self):
        return self.payment.attempts if self.payment else []

    @property
    def refunds(self):
        return self.payment.refunds if self.payment else []

    @property
    def can_refund(self) -> bool:
        return self.refundable_paise > 0 and gateway_adapter.is_enabled()

    @property
    def refund_urged(self) -> bool:
        """A paid order that was cancelled (or expired) still holds the customer's money."""
        return self.can_refund and self.order.status in (S.CANCELLED, S.EXPIRED)


def payment_panel(order: Order) -> PaymentPanel:
    return PaymentPanel(order)
