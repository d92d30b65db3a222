from consultation_svc.main import create_app
from cppcc_common.auth import assert_routes_declare_permissions
from cppcc_common.testing.contract import (
    collections_off_the_list_shape,
    document_broken_promises,
    routes_accepting_unknown_query_parameters,
    routes_reading_undocumented_bodies,
)

BOUNDED = {
    # The forms of consultation are a fixed list of thirteen (DOMAIN.md §4), answered whole.
    "/api/v1/consultations/forms",
    "/api/v1/consultations/activities/{activity_id}/materials",  # attachment_max_count
    # A speech holds at most the policy's count of files (participation policy).
    "/api/v1/consultations/activities/{activity_id}/speeches/{speech_id}/attachments",
    "/api/v1/consultations/outcomes/{outcome_id}/attachments",  # attachment_max_count
}


def test_every_route_declares_its_permission() -> None:
    assert_routes_declare_permissions(create_app())


def test_the_api_document_tells_the_truth() -> None:
    assert document_broken_promises(create_app().openapi()) == []


def test_every_collection_is_cursor_paginated_with_one_envelope() -> None:
    assert collections_off_the_list_shape(create_app().openapi(), BOUNDED) == []


async def test_unknown_query_parameters_are_422_on_every_route() -> None:
    assert await routes_accepting_unknown_query_parameters(create_app()) == []


def test_routes_that_read_their_own_body_document_it() -> None:
    assert routes_reading_undocumented_bodies(create_app()) == []
