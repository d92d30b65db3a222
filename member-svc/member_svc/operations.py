"""Operator commands of member-svc: bootstrapping an organization and its first administrator;
retiring a token-signing key."""

import argparse
import getpass
import sys
import uuid
from typing import Any

from cppcc_common.change import system_change_scope
from cppcc_common.cli import Command
from cppcc_common.clock import SystemClock
from cppcc_common.db import create_engine, create_sessionmaker
from member_svc.identity.keys import retire_signing_key
from member_svc.identity.passwords import password_is_strong
from member_svc.people.service import ensure_organization, register_person

LEVELS = ("national", "provincial", "municipal", "county")


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True, help="e.g. 某某市政协")
    parser.add_argument("--level", required=True, choices=LEVELS)
    parser.add_argument("--parent-id", type=uuid.UUID, help="the organization that guides this one")
    parser.add_argument("--admin-name", required=True)
    parser.add_argument("--admin-phone", required=True)


async def _create_organization(settings: Any, args: argparse.Namespace) -> None:
    """Creates an organization and its administrator; the password is read from the terminal or stdin."""
    password = (
        getpass.getpass("管理员密码 / admin password: ")
        if sys.stdin.isatty()
        else sys.stdin.readline().strip()
    )
    if not password_is_strong(password, settings.password_min_length):
        raise SystemExit(
            f"password too weak: at least {settings.password_min_length} characters, letters and digits"
        )
    engine = create_engine(settings.database_url, pool_size=1)
    org_id, admin_id = uuid.uuid4(), uuid.uuid4()
    try:
        # A command is a system change: one transaction, the system clock's now.
        async with system_change_scope(
            create_sessionmaker(engine), now=SystemClock().now(), source=settings.source
        ) as change:
            await ensure_organization(
                change, id=org_id, name=args.name, level=args.level, parent_id=args.parent_id
            )
            admin = await register_person(
                change,
                id=admin_id,
                org_id=org_id,
                name=args.admin_name,
                phone=args.admin_phone,
                password=password,
                roles=["admin", "staff"],
                scopes=["proposals", "consultation", "members", "notify", "opinions"],
            )
            if admin.id != admin_id:
                raise SystemExit(f"phone {args.admin_phone} already has an account")
    finally:
        await engine.dispose()
    print(f"organization {org_id} created; administrator {admin_id} can log in with {args.admin_phone}")


def _configure_retire(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kid", help="the key id (the `kid` of the JWKS entry or of a token's header)")


async def _retire_key(settings: Any, args: argparse.Namespace) -> None:
    """Retires a signing key now; every service stops accepting its tokens within the JWKS cache time."""
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with system_change_scope(
            create_sessionmaker(engine), now=SystemClock().now(), source=settings.source
        ) as change:
            found = await retire_signing_key(change.session, args.kid, change.now, settings)
    finally:
        await engine.dispose()
    if not found:
        raise SystemExit(f"no signing key {args.kid}")
    print(
        f"signing key {args.kid} retired; its tokens stop verifying within {settings.jwks_cache_seconds:.0f} s"
    )


COMMANDS = [
    Command(
        "create-org",
        "create an organization (tenant) and its first administrator",
        _configure,
        _create_organization,
    ),
    Command(
        "retire-signing-key",
        "retire a token-signing key at once (e.g. suspected leaked); a new one signs from now on",
        _configure_retire,
        _retire_key,
    ),
]
