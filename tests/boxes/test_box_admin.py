"""The owner's box types: create, refuse bad rules next to the field, hide, mixes, the slip."""
from __future__ import annotations

from sweetshop.extensions import db
from sweetshop.models import BoxMix, BoxType
from tests.admin.helpers import post_form
from tests.boxes.helpers import make_sweets


def test_the_owner_creates_a_box_type_and_customers_see_it(owner_client, in_db, client):
    ids = in_db(lambda: [s.id for s in make_sweets()])
    response = post_form(owner_client, "/admin/boxes/new", {
        "name": "Assorted gift box", "description": "Four favourites", "unit": "g",
        "size": "1000", "division": "compartments", "compartments": "4", "min_sweets": "2",
        "max_sweets": "4", "box_charge": "40", "pricing": "sum", "sweet_ids": ids,
        "active": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)
    box = in_db(lambda: db.session.query(BoxType).one())
    assert (box.size, box.step, box.box_charge_paise) == (1000, 250, 4000)
    listing = owner_client.get("/admin/boxes").get_data(as_text=True)
    assert "Assorted gift box" in listing and "1 kg · 4 × 250 g" in listing
    assert "Assorted gift box" in client.get("/").get_data(as_text=True)

    hidden = post_form(owner_client, f"/admin/boxes/{box.id}/hide", {},
                       page=f"/admin/boxes/{box.id}")
    assert hidden.status_code == 303
    assert client.get(f"/b/{box.slug}").status_code == 404
    assert "Assorted gift box" not in client.get("/").get_data(as_text=True)


def test_bad_rules_are_refused_next_to_the_field(owner_client, in_db, count):
    ids = in_db(lambda: [s.id for s in make_sweets()])
    response = post_form(owner_client, "/admin/boxes/new", {
        "name": "Odd box", "unit": "g", "size": "1000", "division": "compartments",
        "compartments": "3", "min_sweets": "1", "max_sweets": "3", "pricing": "sum",
        "sweet_ids": ids}, page="/admin/boxes/new")
    assert response.status_code == 422
    assert "divide the box evenly" in response.get_data(as_text=True)
    assert count(BoxType) == 0


def test_a_ready_made_mix_is_saved_and_offered(owner_client, in_db, client):
    def build():
        from tests.boxes.helpers import make_box_type
        sweets = make_sweets()
        box = make_box_type(sweets)
        return box.id, box.slug, [s.id for s in sweets]
    box_id, slug, ids = in_db(build)
    bad = post_form(owner_client, f"/admin/boxes/{box_id}/mixes",
                    {"mix_name": "Diwali mix", f"part-{ids[0]}": "500"},
                    page=f"/admin/boxes/{box_id}")
    assert bad.status_code == 422 and "not full yet" in bad.get_data(as_text=True)
    good = post_form(owner_client, f"/admin/boxes/{box_id}/mixes",
                     {"mix_name": "Diwali mix", f"part-{ids[0]}": "500",
                      f"part-{ids[1]}": "500"}, page=f"/admin/boxes/{box_id}")
    assert good.status_code == 303
    mix_id = in_db(lambda: db.session.query(BoxMix.id).scalar())
    page = client.get(f"/b/{slug}", query_string={"mix": mix_id}).get_data(as_text=True)
    assert "Diwali mix" in page and "Filled 1000 of 1000 g" in page


def test_box_admin_pages_need_a_signed_in_owner(client, in_db):
    for path in ("/admin/boxes", "/admin/boxes/new"):
        assert client.get(path).status_code == 303


def test_the_order_page_and_packing_slip_list_parts_and_the_gift_message(owner_client, in_db):
    def order():
        from sweetshop.services.checkout import new_idempotency_key, place_order
        from tests.boxes.helpers import add_box, make_box_type
        from tests.boxes.test_box_orders import CUSTOMER

        kaju, milk, moti, besan = make_sweets()
        box = make_box_type([kaju, milk, moti, besan])
        token = add_box(None, box, {kaju: 250, milk: 250, moti: 250, besan: 250},
                        gift_message="Shubh Deepavali")
        return place_order(token, CUSTOMER, new_idempotency_key()).id
    order_id = in_db(order)
    page = owner_client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert "Assorted gift box" in page and "Besan Laddoo 250 g" in page
    assert "Shubh Deepavali" in page
    # The kitchen's packing slip (issue 11) lists each box's parts and its gift message.
    slip = owner_client.get(f"/admin/kitchen/slips?order={order_id}").get_data(as_text=True)
    assert "#1001" in slip and "Kaju Katli 250 g" in slip and "Shubh Deepavali" in slip
    assert "Collect ₹768 in cash" in slip
