"""Identity routes: logins, tokens, passwords, JWKS, the signed-in person, partner clients.

Answers carrying tokens or secrets are `Cache-Control: no-store` (RFC 6749 §5.1); none of these
routes takes part in Idempotency-Key replay (cppcc_common.idempotency skips `/api/v1/auth/`).
"""

import base64
import binascii
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, unquote_plus
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from cppcc_common.auth import PUBLIC, SIGNED_IN, Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.errors import NotFound
from cppcc_common.openapi import form_body, problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from member_svc.identity import partners, service
from member_svc.identity.errors import (
    AccountLocked,
    InvalidClient,
    InvalidRefreshToken,
    InvalidRequest,
    InvalidSmsCode,
    LoginFailed,
    SmsTooFrequent,
    UnsupportedGrantType,
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


# The routes that change state get the request's Change (its `now` is the runtime clock's).
Anonymous = Annotated[Change, Changing(None)]  # sign-in and the other public changes
SignedIn = Annotated[Change, Changing(SIGNED_IN)]
Administering = Annotated[Change, Changing(ADMIN)]


def _ctx(request: Request) -> tuple[Settings, KeyCipher]:
    runtime = request.app.state.runtime
    return runtime.settings, runtime.extras["cipher"]


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _no_store(response: Response) -> None:
    """Tokens and secrets must not be kept by any cache on the way (RFC 6749 §5.1)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


NO_STORE = Depends(_no_store)


@router.post(
    "/api/v1/auth/login",
    response_model=TokenPair,
    dependencies=[Depends(PUBLIC), NO_STORE],
    responses=problems(LoginFailed, AccountLocked),
    summary="Log in with phone number and password",
)
async def login(body: LoginRequest, change: Anonymous, request: Request) -> TokenPair:
    settings, cipher = _ctx(request)
    return await service.login_with_password(
        change, phone=body.phone, password=body.password, ip=_ip(request), settings=settings, cipher=cipher
    )


@router.post(
    "/api/v1/auth/sms-codes",
    status_code=202,
    response_model=Accepted,
    dependencies=[Depends(PUBLIC)],
    responses=problems(SmsTooFrequent),
    summary="Send a one-time code by SMS (login or password reset)",
)
async def send_sms_code(body: SmsCodeRequest, change: Anonymous, request: Request) -> Accepted:
    settings, _ = _ctx(request)
    await service.request_sms_code(
        change,
        phone=body.phone,
        purpose=body.purpose,
        provider=request.app.state.runtime.extras["sms"],
        settings=settings,
    )
    return Accepted()


@router.post(
    "/api/v1/auth/login/sms",
    response_model=TokenPair,
    dependencies=[Depends(PUBLIC), NO_STORE],
    responses=problems(InvalidSmsCode, AccountLocked),
    summary="Log in with phone number and SMS code",
)
async def login_sms(body: SmsLoginRequest, change: Anonymous, request: Request) -> TokenPair:
    settings, cipher = _ctx(request)
    return await service.login_with_sms(
        change, phone=body.phone, code=body.code, ip=_ip(request), settings=settings, cipher=cipher
    )


@router.post(
    "/api/v1/auth/refresh",
    response_model=TokenPair,
    dependencies=[Depends(PUBLIC), NO_STORE],
    responses=problems(InvalidRefreshToken),
    summary="Exchange a refresh token for a new token pair (rotation)",
)
async def refresh(body: RefreshRequest, change: Anonymous, request: Request) -> TokenPair:
    settings, cipher = _ctx(request)
    return await service.refresh_tokens(change, token=body.refresh_token, settings=settings, cipher=cipher)


@router.post(
    "/api/v1/auth/logout",
    status_code=204,
    dependencies=[Depends(PUBLIC)],
    summary="Sign this device out (revokes its refresh token)",
)
async def logout(body: RefreshRequest, change: Anonymous) -> Response:
    await service.logout(change, refresh_token=body.refresh_token)
    return Response(status_code=204)


@router.post(
    "/api/v1/auth/password/reset",
    status_code=204,
    dependencies=[Depends(PUBLIC)],
    responses=problems(InvalidSmsCode, WeakPassword),
    summary="Set a new password with an SMS reset code",
)
async def reset_password(body: PasswordResetRequest, change: Anonymous, request: Request) -> Response:
    settings, _ = _ctx(request)
    await service.reset_password(
        change,
        phone=body.phone,
        code=body.code,
        new_password=body.new_password,
        ip=_ip(request),
        settings=settings,
    )
    return Response(status_code=204)


@router.post(
    "/api/v1/auth/password",
    response_model=TokenPair,
    dependencies=[NO_STORE],
    responses=problems(WrongCurrentPassword, WeakPassword),
    summary="Change my password",
)
async def change_password(body: PasswordChangeRequest, change: SignedIn, request: Request) -> TokenPair:
    settings, cipher = _ctx(request)
    return await service.change_password(
        change,
        person_id=change.person.sub,
        current=body.current_password,
        new=body.new_password,
        settings=settings,
        cipher=cipher,
    )


_FORM = "application/x-www-form-urlencoded"


def _vschar(value: str) -> bool:
    """RFC 6749 Appendix A: parameters are visible ASCII (and space)."""
    return all(" " <= c <= "~" for c in value)


async def _token_form(request: Request) -> dict[str, str]:
    """The form of a token request; anything malformed is `invalid_request` (RFC 6749 §5.2)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
        raise InvalidRequest()
    try:
        fields = parse_qs(
            (await request.body()).decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=10,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest() from exc
    if any(len(values) != 1 or not _vschar(values[0]) for values in fields.values()):
        raise InvalidRequest()  # a parameter sent twice, or with characters no client id or secret has
    return {name: values[0] for name, values in fields.items()}


def _basic_challenge(request: Request) -> dict[str, str] | None:
    """A failed HTTP Basic client authentication is answered with a Basic challenge (§5.2)."""
    basic = request.headers.get("authorization", "").lower().startswith("basic ")
    return {"WWW-Authenticate": 'Basic realm="cppcc"'} if basic else None


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """From HTTP Basic (RFC 6749 §2.3.1) or the form body, never both (§2.3)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        if "client_secret" in form:
            raise InvalidRequest()
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidClient(headers=_basic_challenge(request)) from exc
        client_id, _, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


@router.post(
    "/api/v1/auth/token",
    response_model=ClientToken,
    dependencies=[Depends(PUBLIC), NO_STORE],
    responses=problems(InvalidClient, InvalidRequest, UnsupportedGrantType),
    openapi_extra=form_body(ClientCredentialsForm),
    summary="OAuth2 client credentials for partner systems (form-encoded)",
)
async def client_token(request: Request, change: Anonymous) -> ClientToken:
    settings, cipher = _ctx(request)
    form = await _token_form(request)
    if "grant_type" not in form:
        raise InvalidRequest()
    if form["grant_type"] != "client_credentials":
        raise UnsupportedGrantType()
    client_id, secret = _client_credentials(request, form)
    try:
        if not (0 < len(client_id) <= 64 and 0 < len(secret) <= 128 and _vschar(client_id + secret)):
            raise InvalidClient()
        client = await partners.authenticate(
            change.session, client_id=client_id, secret=secret, now=change.now
        )
    except InvalidClient as exc:
        raise InvalidClient(headers=_basic_challenge(request)) from exc
    token, expires_in = await service.partner_token(change, client, settings=settings, cipher=cipher)
    return ClientToken(access_token=token, expires_in=expires_in)


@router.get("/.well-known/jwks.json", dependencies=[Depends(PUBLIC)], summary="Token verification keys")
async def jwks(session: SessionDep, request: Request) -> dict[str, Any]:
    runtime = request.app.state.runtime
    return await published_jwks(session, runtime.clock.now(), runtime.settings)


@router.get("/api/v1/me", response_model=Me, responses=problems(NotFound), summary="The signed-in person")
async def me(principal: Annotated[Principal, Depends(SIGNED_IN)], session: SessionDep) -> Me:
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
    dependencies=[NO_STORE],
    summary="Register a partner system for a handling unit (the secret is shown once)",
)
async def create_partner_client(body: PartnerClientCreate, change: Administering) -> PartnerClientWithSecret:
    client, secret = await partners.register_client(
        change, org_id=change.person.org, unit_id=body.unit_id, name=body.name
    )
    return PartnerClientWithSecret(
        **PartnerClientRead.model_validate(client).model_dump(), client_secret=secret
    )


@router.post(
    "/api/v1/partner-clients/{client_uuid}/rotate-secret",
    response_model=PartnerClientWithSecret,
    dependencies=[NO_STORE],
    summary="New secret; the old one keeps working for the overlap period",
)
async def rotate_partner_secret(
    client_uuid: UUID, change: Administering, request: Request
) -> PartnerClientWithSecret:
    settings, _ = _ctx(request)
    client = await partners.get_client(change.session, change.person.org, client_uuid)
    secret = await partners.rotate_secret(
        change, client, overlap=timedelta(hours=settings.partner_secret_overlap_hours)
    )
    return PartnerClientWithSecret(
        **PartnerClientRead.model_validate(client).model_dump(), client_secret=secret
    )


@router.delete("/api/v1/partner-clients/{client_uuid}", status_code=204, summary="Revoke a partner system")
async def revoke_partner_client(client_uuid: UUID, change: Administering) -> Response:
    client = await partners.get_client(change.session, change.person.org, client_uuid)
    partners.revoke_client(change, client)
    return Response(status_code=204)
