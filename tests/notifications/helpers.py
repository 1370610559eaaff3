from sweetshop.extensions import db, redis_conn
from sweetshop.models import Notification
from sweetshop.services import cart as cart_service
from sweetshop.services import checkout
from sweetshop.services.shop import get_settings
from tests.factories import make_product

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token-made-up"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def place_order(*, whatsapp=False, owner_phones="", phone="+919876543210"):
    """A COD order for one 500 g pack, placed through the real services (commits)."""
    product = make_product("Kaju Katli")
    settings = get_settings()
    settings.owner_phones = owner_phones
    db.session.commit()
    token, _ = cart_service.add_to_cart(None, product.variants[1].id, 1)
    details = checkout.CustomerDetails(name="Asha Rao", phone=phone,
                                       address="12 MG Road, Bengaluru", pincode="560038",
                                       notify_whatsapp=whatsapp)
    return checkout.place_order(token, details, checkout.new_idempotency_key())


def notifications():
    return db.session.query(Notification).order_by(Notification.id).all()


def queued_job_count(queue="notifications"):
    from rq import Queue
    return Queue(queue, connection=redis_conn.client()).count


def run_worker_burst():
    from rq import Queue, SimpleWorker
    conn = redis_conn.client()
    SimpleWorker([Queue("notifications", connection=conn)], connection=conn).work(burst=True)
