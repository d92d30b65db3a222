"""Events published by member-svc (stream MEMBER)."""

from uuid import UUID

from cppcc_common.events import EventData, register


@register("cppcc.member.person_registered.v1")
class PersonRegisteredV1(EventData):
    """A person got an account; consumers keep only what they need to address them."""

    person_id: UUID
    org_id: UUID
    name: str
    roles: list[str]
    scopes: list[str] = []
    unit_id: UUID | None = None
