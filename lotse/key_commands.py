"""``lotse keys``: adding a key, re-sealing everything under the newest one, retiring an old one."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.kernel.context import EngineContext
from engine.keys.index_rotation import index_remaining, rotate_index
from engine.keys.keyring import KeyringRefused, with_new_key, without_key
from engine.keys.rotation import DEFAULT_BATCH, remaining, rotate
from engine.person import blind_index


def _context() -> EngineContext:
    return current_app.extensions["lotse"]


def _instance_file(name: str) -> Path:
    return Path(current_app.instance_path) / name


@click.group()
def keys() -> None:
    """Encryption keys: add, rotate (re-seal everything under the newest key), retire."""


@keys.command("status")
@with_appcontext
def keys_status() -> None:
    """How many stored values are not yet under the active key, per column (JSON)."""
    ctx = _context()
    click.echo(
        json.dumps(
            {
                "active": ctx.vault.active,
                "not_under_active": {name: n for name, n in remaining(ctx).items() if n},
                "index_key": blind_index.fingerprint(ctx.index_key),
                "older_index_keys": [blind_index.fingerprint(key) for key in ctx.older_index_keys],
                "index_digests_not_under_active": index_remaining(ctx),
            }
        )
    )


@keys.command("add")
@click.argument("key_id")
@with_appcontext
def keys_add(key_id: str) -> None:
    """Put a new key named KEY_ID in front of the instance folder's keyring (the active key after a restart)."""
    if os.environ.get("LOTSE_KEYS") or current_app.config.get("LOTSE_KEYS"):
        raise click.ClickException("The keys come from LOTSE_KEYS: add the new key there, in front.")
    path = _instance_file("keys")
    try:
        path.write_text(with_new_key(path.read_text().strip(), key_id))
    except KeyringRefused as refused:
        raise click.ClickException(refused.english) from refused
    click.echo(f"Key {key_id} added in front of {path}; restart Lotse, then run `lotse keys rotate`.")


@keys.command("rotate")
@click.option("--batch", default=DEFAULT_BATCH, show_default=True, help="Rows per transaction.")
@click.option("--index/--no-index", default=True, help="Also recompute the blind index under its active key.")
@with_appcontext
def keys_rotate(batch: int, index: bool) -> None:
    """Re-seal every stored value under the active key, in batches, while Lotse runs.

    Progress goes to stderr, the summary (JSON) to stdout. Resumable: run it again after an interruption.
    Exit status 1 when a value could not be opened (each is named with its table, row and case)."""
    ctx = _context()

    def shown(column: str, done: int, total: int) -> None:
        click.echo(f"{column}: {done}/{total}", err=True)

    report = rotate(ctx, batch, shown)
    failures = list(report.failures)
    recomputed = 0
    if index:
        recomputed, index_failures = rotate_index(ctx, batch, shown)
        failures += index_failures
    for failure in failures:
        click.echo(f"not rotated / nicht umgeschlüsselt: {failure}", err=True)
    summary = {
        "active": report.active,
        "resealed": report.total,
        "by_column": {name: n for name, n in report.resealed.items() if n},
        "changed_meanwhile": report.changed_meanwhile,
        "index_digests_recomputed": recomputed,
        "failures": len(failures),
    }
    click.echo(json.dumps(summary))
    if failures:
        sys.exit(1)


@keys.command("retire")
@click.argument("old")
@click.option("--index", is_flag=True, help="OLD is an index key's fingerprint (see `lotse keys status`).")
@with_appcontext
def keys_retire(old: str, index: bool) -> None:
    """Remove key OLD from the keyring, refused while any stored value still uses it."""
    ctx = _context()
    if index:
        _retire_index_key(ctx, old)
        return
    if old == ctx.vault.active:
        raise click.ClickException(f"Key {old} is the active key; add a new one and rotate first.")
    in_use = {name: n for name, n in remaining(ctx, old).items() if n}
    if in_use:
        listed = ", ".join(f"{name}: {n}" for name, n in in_use.items())
        raise click.ClickException(
            f"Key {old} is still used by {sum(in_use.values())} values ({listed}); run `lotse keys rotate`."
        )
    if os.environ.get("LOTSE_KEYS") or current_app.config.get("LOTSE_KEYS"):
        click.echo(f"No stored value uses key {old} any more: remove it from LOTSE_KEYS.")
        return
    path = _instance_file("keys")
    try:
        path.write_text(without_key(path.read_text().strip(), old))
    except KeyringRefused as refused:
        raise click.ClickException(refused.english) from refused
    click.echo(f"Key {old} retired: no stored value uses it, and it is removed from {path}.")


def _retire_index_key(ctx: EngineContext, fingerprint: str) -> None:
    if fingerprint == blind_index.fingerprint(ctx.index_key):
        raise click.ClickException(f"Index key {fingerprint} is the active one; rotate to a new one first.")
    older = [key for key in ctx.older_index_keys if blind_index.fingerprint(key) == fingerprint]
    if not older:
        raise click.ClickException(f"Index key {fingerprint} is not configured.")
    in_use = index_remaining(ctx, older[0])
    if in_use:
        raise click.ClickException(
            f"Index key {fingerprint} may still be used by {in_use} digests; run `lotse keys rotate --index`."
        )
    if os.environ.get("LOTSE_INDEX_KEY"):
        click.echo(f"No digest uses index key {fingerprint} any more: remove it from LOTSE_INDEX_KEY.")
        return
    path = _instance_file("index_key")
    keep = [
        entry
        for entry in path.read_text().replace(",", " ").split()
        if blind_index.fingerprint(blind_index.parse_index_keys(entry)[0]) != fingerprint
    ]
    path.write_text(" ".join(keep))
    click.echo(f"Index key {fingerprint} retired and removed from {path}.")
