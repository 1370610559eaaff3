"""Assorted boxes: the customer's box builder and box lines in the cart (views), and the
owner's box types (admin_views)."""
