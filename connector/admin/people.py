"""Admin pages: the organization's people (users and roles) and its settings.

An admin adds people, changes roles, resets passwords and deactivates or reactivates accounts,
but never their own, and never so that the organization is left without an active admin (409).
Deactivation and a reset end the user's sessions on the server (connector.auth.sessions); a
reset gives them a temporary password, shown to the admin once, to replace at next sign-in.
"""

from __future__ import annotations

import functools
import logging
import zoneinfo
from datetime import datetime
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.accounts import (
    TEMPORARY_PASSWORD_DAYS, AccessError, create_user, end_sessions, reset_password,
)
from connector.admin import admin_required, bp, current_organization_id, services
from connector.models import Organization, Role, User, utcnow
from connector.names import display_name
from connector.organizations import named_alike

log = logging.getLogger("connector.admin")
MAX_ORGANIZATION_NAME = 200
MAX_TIMEZONE = 64
MAX_LOGO_URL = 500
NAME_TAKEN = "This name is not available; choose another."
# Which form field an accounts.create_user problem belongs to, by the word it names.
FIELD_WORDS = (("email", "email"), ("password", "password"), ("role", "role"), ("name", "name"))


class Conflict(Exception):
    """A change that would lock people out (self, last admin); the message says why."""


@bp.get("/users")
@admin_required
def users():
    """The organization's people, and the form to add one."""
    return _people_page(200)


@bp.post("/users")
@admin_required
def user_add():
    """Add a person with an initial password; bad input re-shows the form with the reasons."""
    form = {k: request.form.get(k, "") for k in ("email", "name", "role")}
    try:
        with services().db.session() as session:
            organization = session.get(Organization, current_organization_id())
            user = create_user(session, organization.name, form["email"],
                               request.form.get("password", ""), form["role"], name=form["name"])
            user_id = user.id
    except AccessError as exc:
        return _people_page(400, form=form, errors=_field_errors(str(exc)))
    log.info("admin.user-added user=%s by=%s", user_id, current_user.id)
    flash(f"Added {form['email'].strip().lower()}.", "ok")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id: int):
    """Make a person an admin or a reviewer."""
    try:
        role = Role(request.form.get("role", ""))
    except ValueError:
        return _people_page(400, problem="Choose a role: admin or reviewer.")
    return _change(user_id, lambda session, user: set_role(session, user, role, current_user.id),
                   f"Role changed to {role.value}.")


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def user_deactivate(user_id: int):
    """Stop a person from signing in; their open sessions end too."""
    return _change(user_id, lambda session, user: set_active(session, user, False, current_user.id),
                   "Deactivated {email}: they can no longer sign in.")


@bp.post("/users/<int:user_id>/reactivate")
@admin_required
def user_reactivate(user_id: int):
    """Let a deactivated person sign in again."""
    return _change(user_id, lambda session, user: set_active(session, user, True, current_user.id),
                   "Reactivated {email}.")


@bp.post("/users/<int:user_id>/reset")
@admin_required
def user_reset(user_id: int):
    """End a person's sessions and show, once, a temporary password they must replace."""
    try:
        with services().db.session() as session:
            user = _user_of_organization(session, user_id)
            if user.id == current_user.id:
                raise Conflict("Change your own password on your account page.")
            password, email = reset_password(session, user), user.email
    except Conflict as exc:
        return _people_page(409, problem=str(exc))
    log.info("admin.user-reset user=%s by=%s", user_id, current_user.id)
    html, status = _people_page(200, temporary={"email": email, "password": password,
                                                "days": TEMPORARY_PASSWORD_DAYS})
    return html, status, {"Cache-Control": "no-store"}


def set_role(session: Session, user: User, role: Role, acting_user_id: int | None) -> None:
    """Change a user's role, unless it is the actor's own or the last active admin's."""
    if user.role is role:
        return
    if user.id == acting_user_id:
        raise Conflict("You cannot change your own role; ask another admin.")
    if role is Role.REVIEWER:
        _keep_an_admin(session, user)
    user.role = role


def set_active(session: Session, user: User, active: bool, acting_user_id: int | None) -> None:
    """Deactivate or reactivate a user, never the actor or the last active admin."""
    if user.active is active:
        return
    if not active and user.id == acting_user_id:
        raise Conflict("You cannot deactivate your own account; ask another admin.")
    if not active:
        _keep_an_admin(session, user)
    user.active = active
    end_sessions(session, user.id)  # a cookie from before never works again


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to take away the organization's last active admin."""
    if user.role is not Role.ADMIN or not user.active:
        return
    # FOR UPDATE (PostgreSQL) makes two admins demoting each other at once take turns; SQLite
    # allows one writer at a time anyway.
    others = session.scalars(select(User.id).where(
        User.organization_id == user.organization_id, User.role == Role.ADMIN,
        User.active.is_(True), User.id != user.id).with_for_update()).all()
    if not others:
        raise Conflict(f"{user.email} is the last active admin; make someone else admin first.")


def _change(user_id: int, change, done: str):
    """Apply a change to one of the organization's users: 404 if not theirs, 409 if refused."""
    try:
        with services().db.session() as session:
            user = _user_of_organization(session, user_id)
            change(session, user)
            email = user.email
    except Conflict as exc:
        return _people_page(409, problem=str(exc))
    log.info("admin.user-changed user=%s by=%s action=%s", user_id, current_user.id,
             request.endpoint)
    flash(done.format(email=email), "ok")
    return redirect(url_for("admin.users"), 303)


def _user_of_organization(session: Session, user_id: int) -> User:
    """One of the organization's users; 404 for anyone else's."""
    user = session.scalar(select(User).where(
        User.id == user_id, User.organization_id == current_organization_id()))
    if user is None:
        abort(404)
    return user


def _people_page(status: int, form: dict | None = None, errors: dict | None = None,
                 problem: str | None = None, temporary: dict | None = None):
    with services().db.session() as session:
        organization = session.get(Organization, current_organization_id())
        people = session.scalars(select(User).where(
            User.organization_id == organization.id).order_by(User.email)).all()
        html = render_template(
            "admin/people_list.html", people=people, zone=organization.timezone,
            form=form or {"role": Role.REVIEWER.value}, errors=errors or {}, problem=problem,
            temporary=temporary, roles=[r.value for r in Role], me=current_user.id,
            local_time=local_time)
    return html, status


def _field_errors(message: str) -> dict[str, str]:
    """create_user's "; "-joined problems, each under the field it names first."""
    errors: dict[str, str] = {}
    for problem in message.split("; "):
        named = [(problem.find(word), f) for word, f in FIELD_WORDS if word in problem]
        field = min(named)[1] if named else "email"
        sentence = problem[:1].upper() + problem[1:]
        errors[field] = (errors[field] + "; " if field in errors else "") + sentence
    return errors


@bp.route("/organization", methods=["GET", "POST"])
@admin_required
def organization():
    """The organization's name, time zone (for deadlines) and logo (on the candidate pages)."""
    try:
        with services().db.session() as session:
            org = session.get(Organization, current_organization_id())
            public_id = org.public_id
            if request.method == "GET":
                return _organization_page(org.name, org.timezone, org.logo_url or "", {}, 200,
                                          public_id)
            values, errors = _organization_form(session, org.id)
            if errors:
                return _organization_page(*values, errors, 400, public_id)
            if values[0] != org.name:
                org.renamed_at = utcnow()  # from now on its id, not its name, identifies it
            org.name, org.timezone, org.logo_url = values[0], values[1], values[2] or None
    except IntegrityError:  # the name was taken by another organization since the check
        return _organization_page(*values, {"name": NAME_TAKEN}, 400, public_id)
    log.info("admin.organization-changed organization=%s by=%s", org.id, current_user.id)
    flash("Organization saved.", "ok")
    return redirect(url_for("admin.organization"), 303)


def _organization_form(session: Session, organization_id: int):
    """The submitted name, time zone and logo URL, and what is wrong with them."""
    name = display_name(request.form.get("name", ""), limit=MAX_ORGANIZATION_NAME + 1)
    zone = request.form.get("timezone", "").strip()
    logo = request.form.get("logo_url", "").strip()
    errors = {}
    if not name or len(name) > MAX_ORGANIZATION_NAME:
        errors["name"] = f"Enter a name of 1 to {MAX_ORGANIZATION_NAME} characters."
    elif named_alike(session, name, other_than=organization_id):
        errors["name"] = NAME_TAKEN
    if len(zone) > MAX_TIMEZONE or zone not in _time_zones():
        errors["timezone"] = "Enter an IANA time zone, such as Europe/Berlin or America/New_York."
    if logo and not _is_web_url(logo):
        errors["logo_url"] = (f"Enter an https:// address of at most {MAX_LOGO_URL} "
                              "characters, or leave it empty.")
    return (name, zone, logo), errors


def _organization_page(name: str, zone: str, logo: str, errors: dict, status: int,
                       public_id: str):
    html = render_template("admin/people_organization.html", name=name[:500], timezone=zone[:100],
                           logo_url=logo[:MAX_LOGO_URL + 100], errors=errors,
                           public_id=public_id)
    return html, status


@functools.cache
def _time_zones() -> frozenset[str]:
    """Every zone name zoneinfo knows (read once: it walks the tz database)."""
    return frozenset(zoneinfo.available_timezones())


def _is_web_url(url: str) -> bool:
    if len(url) > MAX_LOGO_URL or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    # https only, like the template's logo: candidate pages load images over https alone (CSP).
    return parts.scheme == "https" and bool(parts.hostname)


def local_time(moment: datetime | None, zone: str) -> str:
    """A time as people read it, in the organization's zone; "" for none."""
    if moment is None:
        return ""
    try:
        tz = zoneinfo.ZoneInfo(zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    return moment.astimezone(tz).strftime("%-d %b %Y, %H:%M")
