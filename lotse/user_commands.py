"""``lotse users …``: staff accounts for scripts (the same use cases as ``/verwaltung/mitarbeitende``)."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.staff.accounts import ROLES

ROLE = click.Choice(list(ROLES))


def _context() -> EngineContext:
    return current_app.extensions["lotse"]


@click.group()
def users() -> None:
    """Staff accounts."""


@users.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE)
@click.option("--email", default=None)
@click.password_option(help="At least 12 characters, hard to guess.")
@with_appcontext
def users_add(
    username: str, display_name: str, roles: tuple[str, ...], email: str | None, password: str
) -> None:
    """Add a staff member with a password (prefer `invite`: then nobody but the person knows it)."""
    from engine.staff.accounts import add_staff

    try:
        add_staff(_context(), "cli", username, display_name, password, list(roles), email)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Added {username} ({', '.join(roles)}).")


@users.command("invite")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--email", required=True, help="Where the invitation link goes (through the outbox).")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE)
@with_appcontext
def users_invite(username: str, display_name: str, email: str, roles: tuple[str, ...]) -> None:
    """Add a staff member without a password and e-mail an invitation link (single use, three days)."""
    from engine.staff.roster import invite_staff

    try:
        invite_staff(
            _context(),
            "cli",
            username,
            display_name,
            email,
            list(roles),
            current_app.config["LOTSE_BASE_URL"],
        )
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Invited {username} ({', '.join(roles)}); the link goes to {email} through the outbox.")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@with_appcontext
def users_list(as_json: bool) -> None:
    """Every staff member: roles, active, last login, second factor, open sessions."""
    from engine.staff.roster import staff_list

    rows = staff_list(_context())
    if as_json:
        listed = [
            {
                "username": row.username,
                "name": row.display_name,
                "roles": list(row.roles),
                "active": row.active,
                "last_login_at": row.last_login_at.isoformat() if row.last_login_at else None,
                "second_factor": row.second_factor,
                "open_sessions": row.open_sessions,
            }
            for row in rows
        ]
        click.echo(json.dumps(listed, indent=2))
        return
    for row in rows:
        state = "active" if row.active else "deactivated"
        factor = "2FA" if row.second_factor else "no 2FA"
        last = row.last_login_at.isoformat(timespec="minutes") if row.last_login_at else "never"
        click.echo(f"{row.username}\t{row.display_name}\t{' '.join(row.roles)}\t{state}\t{factor}\t{last}")


@users.command("set-roles")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE)
@with_appcontext
def users_set_roles(username: str, roles: tuple[str, ...]) -> None:
    """Replace USERNAME's roles (which are also their task groups)."""
    from engine.staff.roster import set_roles

    try:
        set_roles(_context(), "cli", username, list(roles))
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{username}: {', '.join(roles)}.")


@users.command("password")
@click.argument("username")
@click.password_option(help="At least 12 characters, hard to guess.")
@with_appcontext
def users_password(username: str, password: str) -> None:
    """Set a new password; every session of USERNAME ends."""
    from engine.staff.accounts import change_password

    try:
        change_password(_context(), "cli", username, password)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"New password for {username}; their sessions have ended.")


@users.command("deactivate")
@click.argument("username")
@click.option(
    "--hand-to", default=None, help="A colleague who takes the claimed tasks (default: their groups)."
)
@with_appcontext
def users_deactivate(username: str, hand_to: str | None) -> None:
    """Take away USERNAME's access: no more logins, every session ends now, claimed tasks are handed back."""
    from engine.staff.roster import deactivate

    try:
        handed = deactivate(_context(), "cli", username, hand_to)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{username} is deactivated; their sessions have ended; {handed} tasks handed back.")


@users.command("reactivate")
@click.argument("username")
@with_appcontext
def users_reactivate(username: str) -> None:
    """Give USERNAME access again."""
    from engine.staff.roster import reactivate

    try:
        reactivate(_context(), "cli", username)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{username} is active again.")
