"""The owner's staff page: adding people, their one-time set-up links, roles, deactivation.

A set-up link is valid for SETUP_LINK_TTL and works once: only its SHA-256 is stored, and
it is claimed with one conditional UPDATE (unused and unexpired), so two tabs submitting the
same link cannot both set a password. Deactivating someone ends every session of theirs at
once (admin_auth.current_admin also refuses inactive accounts on every request).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..i18n import gettext as _
from ..models import ROLES, AdminUser, StaffSetupLink, utcnow
from ..phones import normalise_phone
from . import audit
from .admin_auth import MIN_PASSWORD, _end_sessions_of, normalise_email
from .errors import InvalidInput, NotFound

SETUP_LINK_TTL = timedelta(hours=24)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def list_staff() -> list[AdminUser]:
    return list(db.session.scalars(
        select(AdminUser).order_by(AdminUser.active.desc(), AdminUser.role, AdminUser.name,
                                   AdminUser.id)))


def delivery_people(include_inactive: bool = False) -> list[AdminUser]:
    stmt = select(AdminUser).where(AdminUser.role == "delivery")
    if not include_inactive:
        stmt = stmt.where(AdminUser.active.is_(True))
    return list(db.session.scalars(stmt.order_by(AdminUser.name, AdminUser.id)))


def get_staff(user_id: int) -> AdminUser:
    user = db.session.get(AdminUser, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise NotFound(_("We could not find that person."))
    return user


def add_staff(*, name: str, phone: str | None, email: str | None, role: str,
              actor) -> tuple[AdminUser, str]:
    """A new member of staff without a password, and their set-up link's token. Commits."""
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise InvalidInput(_("Please give their name (up to 80 characters)."), field="name")
    if role not in ROLES:
        raise InvalidInput(_("Please choose a role."), field="role")
    e164 = None
    if phone and phone.strip():
        e164 = normalise_phone(phone.strip())
        if e164 is None:
            raise InvalidInput(_("Please give a valid Indian mobile number, e.g. 98765 43210."),
                               field="phone")
    else:
        raise InvalidInput(_("Please give their mobile number."), field="phone")
    email = normalise_email(email) or None
    if email and ("@" not in email or len(email) < 3):
        raise InvalidInput(_("Please give a valid email address, or leave it empty."),
                           field="email")
    if db.session.scalar(select(AdminUser.id).where(AdminUser.phone == e164)):
        raise InvalidInput(_("Someone on the staff already has this phone number."),
                           field="phone")
    if email and db.session.scalar(select(AdminUser.id).where(AdminUser.email == email)):
        raise InvalidInput(_("Someone on the staff already has this email."), field="email")
    user = AdminUser(name=name, phone=e164, email=email, role=role, password_hash="",
                     active=True)
    db.session.add(user)
    db.session.flush()
    token = _new_link(user, actor)
    audit.record(actor, "staff", f"Added {name} ({role})")
    db.session.commit()
    return user, token


def _new_link(user: AdminUser, actor) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSetupLink(user_id=user.id, token_hash=_hash(token),
                                  expires_at=utcnow() + SETUP_LINK_TTL,
                                  created_by=str(actor)[:120]))
    return token


def new_setup_link(user_id: int, actor) -> str:
    """A fresh set-up link (e.g. the first expired, or a forgotten password). Earlier unused
    links of this person stop working. Commits."""
    user = get_staff(user_id)
    db.session.execute(update(StaffSetupLink).where(
        StaffSetupLink.user_id == user.id, StaffSetupLink.used_at.is_(None))
        .values(used_at=utcnow()))
    token = _new_link(user, actor)
    audit.record(actor, "staff", f"New set-up link for {user.display_name}")
    db.session.commit()
    return token


def link_owner(token: str | None) -> AdminUser | None:
    """The person a set-up link is for, if it is still usable (for the GET page)."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(select(StaffSetupLink).where(
        StaffSetupLink.token_hash == _hash(token), StaffSetupLink.used_at.is_(None),
        StaffSetupLink.expires_at > utcnow()))
    return link.user if link and link.user.active else None


def set_password_from_link(token: str | None, password: str) -> AdminUser:
    """Use a set-up link once: set the password, end any older sessions. Commits.
    Raises InvalidInput for a short password (the link stays usable) or a used, expired or
    unknown link."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(_("The password needs at least %(n)d characters.", n=MIN_PASSWORD),
                           field="password")
    if not token or len(token) > 100:
        raise InvalidInput(_("This link has expired or was already used. Please ask the "
                             "owner for a new one."))
    user_id = db.session.scalar(
        update(StaffSetupLink).where(StaffSetupLink.token_hash == _hash(token),
                                     StaffSetupLink.used_at.is_(None),
                                     StaffSetupLink.expires_at > utcnow())
        .values(used_at=utcnow()).returning(StaffSetupLink.user_id))
    user = db.session.get(AdminUser, user_id) if user_id else None
    if user is None or not user.active:
        db.session.rollback()
        raise InvalidInput(_("This link has expired or was already used. Please ask the "
                             "owner for a new one."))
    user.password_hash = generate_password_hash(password)
    _end_sessions_of(user.id)
    audit.record(user_actor(user), "staff", f"{user.display_name} set a password")
    db.session.commit()
    return user


def user_actor(user: AdminUser):
    from ..admin import Actor
    return Actor(user.display_name, user.id, user.role)


def set_active(user_id: int, active: bool, actor) -> AdminUser:
    """Deactivate (ending all their sessions now) or reactivate someone. Commits. The owner
    cannot deactivate themselves (the shop would have no one left to let them back in)."""
    user = db.session.scalar(select(AdminUser).where(AdminUser.id == user_id).with_for_update()) \
        if 0 < user_id < 2**31 else None
    if user is None:
        raise NotFound(_("We could not find that person."))
    if not active and user.id == getattr(actor, "staff_id", None):
        db.session.rollback()
        raise InvalidInput(_("You cannot deactivate yourself."))
    user.active = active
    if not active:
        _end_sessions_of(user.id)
    audit.record(actor, "staff", f"{'Reactivated' if active else 'Deactivated'} "
                                 f"{user.display_name}")
    db.session.commit()
    return user


def change_role(user_id: int, role: str, actor) -> AdminUser:
    if role not in ROLES:
        raise InvalidInput(_("Please choose a role."), field="role")
    user = get_staff(user_id)
    if user.id == getattr(actor, "staff_id", None) and role != "owner":
        raise InvalidInput(_("You cannot take the owner's role from yourself."), field="role")
    old, user.role = user.role, role
    _end_sessions_of(user.id)  # a new role starts with a new sign-in
    audit.record(actor, "staff", f"{user.display_name}: role {old} → {role}")
    db.session.commit()
    return user
