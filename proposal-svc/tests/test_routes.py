from cppcc_common.auth import assert_routes_declare_permissions, routes_naming
from proposal_svc.main import create_app


def test_every_route_declares_its_permission() -> None:
    assert_routes_declare_permissions(create_app())


def test_partner_clients_reach_no_route() -> None:
    assert routes_naming(create_app(), "partner") == []
