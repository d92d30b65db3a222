import base64
import os

from cppcc_common.auth import assert_routes_declare_permissions
from member_svc.main import create_app
from member_svc.settings import Settings


def test_every_route_declares_its_permission() -> None:
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    assert_routes_declare_permissions(create_app(Settings(key_encryption_key=kek)))
