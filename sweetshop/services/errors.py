"""Domain errors: services raise them, views turn them into messages for people."""


class DomainError(Exception):
    """A refusal with a message fit to show the customer or owner as it is."""

    status_code = 422
    field: str | None = None

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field:
            self.field = field


class NotFound(DomainError):
    status_code = 404


class InvalidInput(DomainError):
    status_code = 400


class OutOfStock(DomainError):
    status_code = 409


class EmptyCart(DomainError):
    status_code = 409


class CartNeedsAttention(DomainError):
    status_code = 409


class PricesChanged(DomainError):
    """The basket is not what the customer was shown (a price, a pack, the delivery fee)."""
    status_code = 422


class ShopClosed(DomainError):
    status_code = 409


class InvalidTransition(DomainError):
    status_code = 409


class StockWouldGoNegative(DomainError):
    """A stock change larger than what is on the shelf."""
    status_code = 422


class PaymentRefused(DomainError):
    """A payment confirmation that does not check out (signature, order, amount)."""
    status_code = 400


class PaymentUnavailable(DomainError):
    """Online payment is switched off, or Razorpay cannot be reached just now."""
    status_code = 503
