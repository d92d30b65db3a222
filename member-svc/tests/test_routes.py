import base64
import os

from cppcc_common.auth import assert_routes_declare_permissions, routes_naming
from member_svc.main import create_app
from member_svc.settings import Settings


def test_every_route_declares_its_permission() -> None:
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    assert_routes_declare_permissions(create_app(Settings(key_encryption_key=kek)))


def test_partner_clients_reach_only_their_unit() -> None:
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    assert routes_naming(create_app(Settings(key_encryption_key=kek)), "partner") == [
        "['GET'] /api/v1/units/{unit_id}"
    ]
