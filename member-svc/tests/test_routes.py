import base64
import os

from fastapi import FastAPI

from cppcc_common.auth import assert_routes_declare_permissions, routes_naming
from cppcc_common.testing.contract import (
    collections_off_the_list_shape,
    document_broken_promises,
    routes_accepting_unknown_query_parameters,
    routes_reading_undocumented_bodies,
)
from member_svc.main import create_app
from member_svc.settings import Settings

# Collections with a small fixed bound, answered whole: the fixed list of parties, a sector's
# three officers at most, my member records (one per term).
BOUNDED = {"/api/v1/parties", "/api/v1/sectors/{sector_id}/officers", "/api/v1/members/me"}


def _app() -> FastAPI:
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return create_app(Settings(key_encryption_key=kek))


def test_every_route_declares_its_permission() -> None:
    assert_routes_declare_permissions(_app())


def test_partner_clients_reach_only_their_unit() -> None:
    assert routes_naming(_app(), "partner") == ["['GET'] /api/v1/units/{unit_id}"]


def test_the_api_document_tells_the_truth() -> None:
    assert document_broken_promises(_app().openapi()) == []


def test_every_collection_is_cursor_paginated_with_one_envelope() -> None:
    assert collections_off_the_list_shape(_app().openapi(), BOUNDED) == []


async def test_unknown_query_parameters_are_422_on_every_route() -> None:
    assert await routes_accepting_unknown_query_parameters(_app()) == []


def test_routes_that_read_their_own_body_document_it() -> None:
    assert routes_reading_undocumented_bodies(_app()) == []
