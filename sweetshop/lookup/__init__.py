"""Customers find their orders: "My orders" (phone + one-time code), "Track an order"."""
