"""Issue 13: Reorder lands on a checkout filled in with the verified customer's details."""
from __future__ import annotations


def test_reorder_lands_on_a_prefilled_checkout(customer, customer_order):
    customer.sign_in()
    response = customer.post(f"/my-orders/{customer_order['number']}/reorder")
    assert response.status_code == 303 and response.headers["Location"] == "/checkout"
    page = customer.client.get("/checkout").get_data(as_text=True)
    assert "Welcome back" in page and 'name="address_choice" value="0" checked' in page
    # verified in My orders, not remembered: nothing to forget, the box is offered
    assert "Forget me" not in page and "Remember me next time" in page
