"""Webhook endpoints of partner systems: parse → service → respond.

A unit's partner client manages its own unit's endpoints; an administrator, every endpoint of the
organization. Anything else is not there (404).
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, decode_id_cursor, page_after
from cppcc_common.versioning import ExpectedVersion, etag
from notify_svc.webhooks import service
from notify_svc.webhooks.errors import (
    EndpointNotFound,
    EndpointVersionMismatch,
    InsecureUrl,
    MessageNotFound,
    UnitRequired,
    WebhooksNotConfigured,
)
from notify_svc.webhooks.schemas import (
    AttemptPage,
    AttemptRead,
    DeliveryRead,
    EndpointCreate,
    EndpointPage,
    EndpointRead,
    EndpointUpdate,
    EndpointWithSecret,
    Recovered,
    RecoverRequest,
)

router = APIRouter(prefix="/api/v1/webhooks/endpoints", tags=["webhooks"])

MANAGE = Permission("webhook.manage", roles={"partner", "admin"})
Managing = Annotated[Change, Changing(MANAGE)]
Manager = Annotated[Principal, Depends(MANAGE)]


async def _config(request: Request) -> service.Config:
    return service.Config.of(request.app.state.runtime.settings)


ConfigDep = Annotated[service.Config, Depends(_config)]


def _read(endpoint: object, response: Response) -> EndpointRead:
    """The endpoint as read, its version as the ETag (PATCH takes it back as If-Match)."""
    read = EndpointRead.model_validate(endpoint)
    response.headers["ETag"] = etag(read.version)
    return read


def _with_secret(endpoint: object, secret: str, response: Response) -> EndpointWithSecret:
    return EndpointWithSecret.model_validate({**_read(endpoint, response).model_dump(), "secret": secret})


@router.post(
    "",
    status_code=201,
    response_model=EndpointWithSecret,
    responses=problems(UnitRequired, InsecureUrl, WebhooksNotConfigured),
    summary="Add an endpoint (its secret is shown this once)",
)
async def create_endpoint(
    body: EndpointCreate, change: Managing, config: ConfigDep, response: Response
) -> EndpointWithSecret:
    endpoint, secret = await service.create_endpoint(change, body, config)
    response.headers["Location"] = f"{router.prefix}/{endpoint.id}"
    return _with_secret(endpoint, secret, response)


@router.get("", response_model=EndpointPage, summary="The endpoints I manage, newest first")
async def list_endpoints(
    principal: Manager, session: SessionDep, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> EndpointPage:
    after = decode_id_cursor(cursor) if cursor else None
    rows = await service.list_endpoints(session, principal, after, limit + 1)
    items, next_cursor = page_after([EndpointRead.model_validate(r) for r in rows], limit)
    return EndpointPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{endpoint_id}",
    response_model=EndpointRead,
    responses=problems(EndpointNotFound),
    summary="One endpoint",
)
async def get_endpoint(
    endpoint_id: UUID, principal: Manager, session: SessionDep, response: Response
) -> EndpointRead:
    return _read(await service.get_endpoint(session, principal, endpoint_id), response)


@router.patch(
    "/{endpoint_id}",
    response_model=EndpointRead,
    responses=problems(EndpointNotFound, InsecureUrl, EndpointVersionMismatch),
    summary="Change an endpoint's URL, event types or description (If-Match: its ETag)",
)
async def update_endpoint(
    endpoint_id: UUID,
    body: EndpointUpdate,
    change: Managing,
    config: ConfigDep,
    expected: ExpectedVersion,
    response: Response,
) -> EndpointRead:
    return _read(await service.update_endpoint(change, endpoint_id, body, config, expected), response)


@router.delete(
    "/{endpoint_id}", status_code=204, responses=problems(EndpointNotFound), summary="Remove an endpoint"
)
async def delete_endpoint(endpoint_id: UUID, change: Managing) -> Response:
    await service.delete_endpoint(change, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/enable",
    response_model=EndpointRead,
    responses=problems(EndpointNotFound),
    summary="Enable",
)
async def enable_endpoint(endpoint_id: UUID, change: Managing, response: Response) -> EndpointRead:
    return _read(await service.set_enabled(change, endpoint_id, True), response)


@router.post(
    "/{endpoint_id}/disable",
    response_model=EndpointRead,
    responses=problems(EndpointNotFound),
    summary="Disable",
)
async def disable_endpoint(endpoint_id: UUID, change: Managing, response: Response) -> EndpointRead:
    return _read(await service.set_enabled(change, endpoint_id, False), response)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=EndpointWithSecret,
    responses=problems(EndpointNotFound, WebhooksNotConfigured),
    summary="A new secret (shown this once); the old one keeps signing for 24 hours",
)
async def rotate_secret(
    endpoint_id: UUID, change: Managing, config: ConfigDep, response: Response
) -> EndpointWithSecret:
    endpoint, secret = await service.rotate_secret(change, endpoint_id, config)
    return _with_secret(endpoint, secret, response)


@router.post(
    "/{endpoint_id}/test",
    status_code=202,
    response_model=DeliveryRead,
    responses=problems(EndpointNotFound),
    summary="Send a test event to this endpoint",
)
async def send_test(endpoint_id: UUID, change: Managing) -> DeliveryRead:
    return DeliveryRead.model_validate(await service.send_test(change, endpoint_id))


@router.get(
    "/{endpoint_id}/messages/{message_id}/attempts",
    response_model=AttemptPage,
    responses=problems(EndpointNotFound, MessageNotFound),
    summary="The attempts to deliver a message to this endpoint, newest first",
)
async def list_attempts(
    endpoint_id: UUID,
    message_id: UUID,
    principal: Manager,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> AttemptPage:
    after = decode_id_cursor(cursor) if cursor else None
    rows = await service.attempts(session, principal, endpoint_id, message_id, after, limit + 1)
    items, next_cursor = page_after([AttemptRead.model_validate(r) for r in rows], limit)
    return AttemptPage(items=items, next_cursor=next_cursor)


@router.post(
    "/{endpoint_id}/messages/{message_id}/resend",
    status_code=202,
    response_model=DeliveryRead,
    responses=problems(EndpointNotFound, MessageNotFound),
    summary="Deliver a message to this endpoint again",
)
async def resend(endpoint_id: UUID, message_id: UUID, change: Managing) -> DeliveryRead:
    return DeliveryRead.model_validate(await service.resend(change, endpoint_id, message_id))


@router.post(
    "/{endpoint_id}/recover",
    status_code=202,
    response_model=Recovered,
    responses=problems(EndpointNotFound),
    summary="Deliver again every message that failed to reach this endpoint since a time",
)
async def recover(endpoint_id: UUID, body: RecoverRequest, change: Managing) -> Recovered:
    return Recovered(requeued=await service.recover(change, endpoint_id, body.since))
