from cppcc_common.auth import assert_routes_declare_permissions, routes_naming
from cppcc_common.testing.contract import (
    collections_off_the_list_shape,
    document_broken_promises,
    routes_accepting_unknown_query_parameters,
    routes_reading_undocumented_bodies,
)
from proposal_svc.main import create_app

# Collections bounded by a policy value, answered whole.
BOUNDED: set[str] = {
    "/api/v1/proposals/{proposal_id}/attachments",  # attachment_max_count
    "/api/v1/opinions/{report_id}/attachments",  # attachment_max_count
    "/api/v1/proposals/{proposal_id}/replies",  # one per assigned unit
    "/api/v1/proposals/{proposal_id}/replies/{reply_id}/attachments",  # attachment_max_count
    # Each extension moves the date at least a day later and never past max_reply_months (rule 12).
    "/api/v1/proposals/{proposal_id}/assignments/{assignment_id}/extensions",
}


def test_every_route_declares_its_permission() -> None:
    assert_routes_declare_permissions(create_app())


# Rule 28: a unit's partner client reads the proposals assigned to its unit and does the unit's
# handling steps (issue 9), and nothing else.
PARTNER_ROUTES = {
    "['GET'] /api/v1/proposals",
    "['GET'] /api/v1/proposals/{proposal_id}",
    "['GET'] /api/v1/proposals/{proposal_id}/timeline",
    "['GET'] /api/v1/proposals/{proposal_id}/attachments",
    "['GET'] /api/v1/proposals/{proposal_id}/attachments/{attachment_id}",
    "['GET'] /api/v1/proposals/{proposal_id}/assignments",
    "['POST'] /api/v1/proposals/{proposal_id}/assignments/{assignment_id}/accept",
    "['POST'] /api/v1/proposals/{proposal_id}/assignments/{assignment_id}/reassignment-request",
    "['POST'] /api/v1/proposals/{proposal_id}/assignments/{assignment_id}/views",
    "['POST'] /api/v1/proposals/{proposal_id}/assignments/{assignment_id}/countersign",
    "['POST'] /api/v1/proposals/{proposal_id}/assignments/{assignment_id}/communications",
    "['GET'] /api/v1/proposals/{proposal_id}/communications",
    "['POST'] /api/v1/proposals/{proposal_id}/assignments/{assignment_id}/replies",
    "['GET'] /api/v1/proposals/{proposal_id}/replies",
    # Issue 9, evaluation: it reads its own reply's ratings and files its completion report (rule 18).
    "['GET'] /api/v1/proposals/{proposal_id}/replies/{reply_id}/evaluations",
    "['POST'] /api/v1/proposals/{proposal_id}/assignments/{assignment_id}/completion-report",
    # Issue 9, gaps: the reply letter's file (rule 15) and its assignment's extensions (rule 12).
    "['POST'] /api/v1/proposals/{proposal_id}/replies/{reply_id}/attachments",
    "['GET'] /api/v1/proposals/{proposal_id}/replies/{reply_id}/attachments",
    "['GET'] /api/v1/proposals/{proposal_id}/replies/{reply_id}/attachments/{attachment_id}",
    "['GET'] /api/v1/proposals/{proposal_id}/assignments/{assignment_id}/extensions",
}


def test_partner_clients_reach_only_their_units_reads_and_steps() -> None:
    reached = routes_naming(create_app(), "partner")
    assert set(reached) == PARTNER_ROUTES


def test_the_api_document_tells_the_truth() -> None:
    assert document_broken_promises(create_app().openapi()) == []


def test_every_collection_is_cursor_paginated_with_one_envelope() -> None:
    assert collections_off_the_list_shape(create_app().openapi(), BOUNDED) == []


async def test_unknown_query_parameters_are_422_on_every_route() -> None:
    assert await routes_accepting_unknown_query_parameters(create_app()) == []


def test_routes_that_read_their_own_body_document_it() -> None:
    assert routes_reading_undocumented_bodies(create_app()) == []
