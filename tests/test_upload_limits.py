"""An upload route a service admits up to its cap must pass the gateway at that size too: the
gateway's transport limit for the path is at least the service's (else a file the organization's
policy allows gets the gateway's 413 first)."""

import pytest

from consultation_svc.settings import Settings as ConsultationSettings
from cppcc_gateway.settings import Settings as GatewaySettings
from member_svc.settings import Settings as MemberSettings
from notify_svc.settings import Settings as NotifySettings
from proposal_svc.settings import Settings as ProposalSettings

SERVICES = [MemberSettings, ProposalSettings, ConsultationSettings, NotifySettings]


@pytest.mark.parametrize("settings", SERVICES, ids=lambda s: s.__module__.split(".")[0])
def test_the_gateway_passes_every_upload_a_service_admits(settings: type) -> None:
    gateway = GatewaySettings().upload_limits
    too_small = {
        path: (gateway.get(path), cap)
        for path, cap in settings().upload_limits.items()
        if gateway.get(path, 0) < cap
    }
    assert too_small == {}
