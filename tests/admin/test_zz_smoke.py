from tests.admin.helpers import post_form
def test_smoke(owner_client):
    for p in ["/admin/", "/admin/orders", "/admin/settings", "/admin/orders/waiting", "/admin/orders?q=abc&status=placed&date_from=2024-01-01"]:
        r = owner_client.get(p)
        print(p, r.status_code)
        if r.status_code != 200:
            print(r.get_data(as_text=True)[:3000])
