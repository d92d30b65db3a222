from cppcc_common.auth import assert_routes_declare_permissions
from notify_svc.main import create_app


def test_every_route_declares_its_permission() -> None:
    assert_routes_declare_permissions(create_app())
