"""Identity routes: logins, tokens, passwords, JWKS, the signed-in person, partner clients."""

import base64
import binascii
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from cppcc_common.auth import AUTHENTICATED, PUBLIC, Permission, Principal
from cppcc_common.db import SessionDep
from cppcc_common.errors import NotFound
from cppcc_common.openapi import form_body, problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from member_svc.identity import partners, service
from member_svc.identity.errors import (
    AccountLocked,
    InvalidClient,
    InvalidRefreshToken,
    InvalidSmsCode,
    LoginFailed,
    SmsTooFrequent,
    WeakPassword,
    WrongCurrentPassword,
)
from member_svc.identity.keys import KeyCipher, published_jwks
from member_svc.identity.schemas import (
    Accepted,
    ClientCredentialsForm,
    ClientToken,
    LoginRequest,
    Me,
    PartnerClientCreate,
    PartnerClientPage,
    PartnerClientRead,
    PartnerClientWithSecret,
    PasswordChangeRequest,
    PasswordResetRequest,
    RefreshRequest,
    SmsCodeRequest,
    SmsLoginRequest,
    TokenPair,
)
from member_svc.settings import Settings

router = APIRouter(tags=["identity"])
ADMIN = Permission("partner_clients.manage", roles={"admin"})


def _ctx(request: Request) -> tuple[Settings, KeyCipher, datetime]:
    runtime = request.app.state.runtime
    return runtime.settings, runtime.extras["cipher"], runtime.clock.now()


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(
    "/api/v1/auth/login",
    response_model=TokenPair,
    dependencies=[Depends(PUBLIC)],
    responses=problems(LoginFailed, AccountLocked),
    summary="Log in with phone number and password",
)
async def login(body: LoginRequest, session: SessionDep, request: Request) -> TokenPair:
    settings, cipher, now = _ctx(request)
    return await service.login_with_password(
        session,
        phone=body.phone,
        password=body.password,
        ip=_ip(request),
        settings=settings,
        cipher=cipher,
        now=now,
    )


@router.post(
    "/api/v1/auth/sms-codes",
    status_code=202,
    response_model=Accepted,
    dependencies=[Depends(PUBLIC)],
    responses=problems(SmsTooFrequent),
    summary="Send a one-time code by SMS (login or password reset)",
)
async def send_sms_code(body: SmsCodeRequest, session: SessionDep, request: Request) -> Accepted:
    settings, _, now = _ctx(request)
    await service.request_sms_code(
        session,
        phone=body.phone,
        purpose=body.purpose,
        provider=request.app.state.runtime.extras["sms"],
        settings=settings,
        now=now,
    )
    return Accepted()


@router.post(
    "/api/v1/auth/login/sms",
    response_model=TokenPair,
    dependencies=[Depends(PUBLIC)],
    responses=problems(InvalidSmsCode, AccountLocked),
    summary="Log in with phone number and SMS code",
)
async def login_sms(body: SmsLoginRequest, session: SessionDep, request: Request) -> TokenPair:
    settings, cipher, now = _ctx(request)
    return await service.login_with_sms(
        session, phone=body.phone, code=body.code, ip=_ip(request), settings=settings, cipher=cipher, now=now
    )


@router.post(
    "/api/v1/auth/refresh",
    response_model=TokenPair,
    dependencies=[Depends(PUBLIC)],
    responses=problems(InvalidRefreshToken),
    summary="Exchange a refresh token for a new token pair (rotation)",
)
async def refresh(body: RefreshRequest, session: SessionDep, request: Request) -> TokenPair:
    settings, cipher, now = _ctx(request)
    return await service.refresh_tokens(
        session, token=body.refresh_token, settings=settings, cipher=cipher, now=now
    )


@router.post(
    "/api/v1/auth/logout",
    status_code=204,
    dependencies=[Depends(PUBLIC)],
    summary="Sign this device out (revokes its refresh token)",
)
async def logout(body: RefreshRequest, session: SessionDep, request: Request) -> Response:
    await service.logout(session, refresh_token=body.refresh_token, now=_ctx(request)[2])
    return Response(status_code=204)


@router.post(
    "/api/v1/auth/password/reset",
    status_code=204,
    dependencies=[Depends(PUBLIC)],
    responses=problems(InvalidSmsCode, WeakPassword),
    summary="Set a new password with an SMS reset code",
)
async def reset_password(body: PasswordResetRequest, session: SessionDep, request: Request) -> Response:
    settings, _, now = _ctx(request)
    await service.reset_password(
        session, phone=body.phone, code=body.code, new_password=body.new_password, settings=settings, now=now
    )
    return Response(status_code=204)


@router.post(
    "/api/v1/auth/password",
    response_model=TokenPair,
    responses=problems(WrongCurrentPassword, WeakPassword),
    summary="Change my password",
)
async def change_password(
    body: PasswordChangeRequest,
    principal: Annotated[Principal, Depends(AUTHENTICATED)],
    session: SessionDep,
    request: Request,
) -> TokenPair:
    settings, cipher, now = _ctx(request)
    return await service.change_password(
        session,
        person_id=principal.sub,
        current=body.current_password,
        new=body.new_password,
        settings=settings,
        cipher=cipher,
        now=now,
    )


def _client_credentials(request: Request, form: dict[str, list[str]]) -> tuple[str, str]:
    """From HTTP Basic (RFC 6749 §2.3.1) or the form body."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidClient() from exc
        return client_id, secret
    return (form.get("client_id") or [""])[0], (form.get("client_secret") or [""])[0]


@router.post(
    "/api/v1/auth/token",
    response_model=ClientToken,
    dependencies=[Depends(PUBLIC)],
    responses=problems(InvalidClient),
    openapi_extra=form_body(ClientCredentialsForm),
    summary="OAuth2 client credentials for partner systems (form-encoded)",
)
async def client_token(request: Request, session: SessionDep) -> ClientToken:
    settings, cipher, now = _ctx(request)
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"), max_num_fields=10)
    if (form.get("grant_type") or [""])[0] != "client_credentials":
        raise InvalidClient()
    client_id, secret = _client_credentials(request, form)
    if not client_id or not secret or len(client_id) > 64 or len(secret) > 128:
        raise InvalidClient()
    client = await partners.authenticate(session, client_id=client_id, secret=secret, now=now)
    token, expires_in = await service.partner_token(
        session, client, settings=settings, cipher=cipher, now=now
    )
    return ClientToken(access_token=token, expires_in=expires_in)


@router.get("/.well-known/jwks.json", dependencies=[Depends(PUBLIC)], summary="Token verification keys")
async def jwks(session: SessionDep, request: Request) -> dict[str, Any]:
    settings, _, now = _ctx(request)
    return await published_jwks(session, now, timedelta(minutes=settings.access_token_minutes + 5))


@router.get("/api/v1/me", response_model=Me, responses=problems(NotFound), summary="The signed-in person")
async def me(principal: Annotated[Principal, Depends(AUTHENTICATED)], session: SessionDep) -> Me:
    person = await service.get_person(session, principal.sub)
    return Me(
        id=person.id,
        org_id=person.org_id,
        name=person.name,
        phone=person.phone,
        roles=list(person.roles),
        scopes=list(person.scopes or []),
        unit_id=person.unit_id,
    )


Admin = Annotated[Principal, Depends(ADMIN)]


@router.get(
    "/api/v1/partner-clients", response_model=PartnerClientPage, summary="Partner systems, newest first"
)
async def list_partner_clients(
    principal: Admin, session: SessionDep, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> PartnerClientPage:
    rows, next_cursor = await partners.list_clients(session, principal.org, cursor=cursor, limit=limit)
    return PartnerClientPage(
        items=[PartnerClientRead.model_validate(c) for c in rows], next_cursor=next_cursor
    )


@router.post(
    "/api/v1/partner-clients",
    status_code=201,
    response_model=PartnerClientWithSecret,
    summary="Register a partner system for a handling unit (the secret is shown once)",
)
async def create_partner_client(
    body: PartnerClientCreate, principal: Admin, session: SessionDep, request: Request
) -> PartnerClientWithSecret:
    client, secret = await partners.register_client(
        session, org_id=principal.org, unit_id=body.unit_id, name=body.name, now=_ctx(request)[2]
    )
    return PartnerClientWithSecret(
        **PartnerClientRead.model_validate(client).model_dump(), client_secret=secret
    )


@router.post(
    "/api/v1/partner-clients/{client_uuid}/rotate-secret",
    response_model=PartnerClientWithSecret,
    summary="New secret; the old one keeps working for the overlap period",
)
async def rotate_partner_secret(
    client_uuid: UUID, principal: Admin, session: SessionDep, request: Request
) -> PartnerClientWithSecret:
    settings, _, now = _ctx(request)
    client = await partners.get_client(session, principal.org, client_uuid)
    secret = await partners.rotate_secret(
        session, client, now=now, overlap=timedelta(hours=settings.partner_secret_overlap_hours)
    )
    return PartnerClientWithSecret(
        **PartnerClientRead.model_validate(client).model_dump(), client_secret=secret
    )


@router.delete("/api/v1/partner-clients/{client_uuid}", status_code=204, summary="Revoke a partner system")
async def revoke_partner_client(
    client_uuid: UUID, principal: Admin, session: SessionDep, request: Request
) -> Response:
    client = await partners.get_client(session, principal.org, client_uuid)
    client.revoked_at = client.revoked_at or _ctx(request)[2]
    return Response(status_code=204)
