from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from cppcc_common.auth import AUTHENTICATED, PUBLIC, Principal
from cppcc_common.db import SessionDep
from member_svc.identity import service
from member_svc.identity.keys import KeyCipher, published_jwks
from member_svc.identity.schemas import LoginRequest, Me, RefreshRequest, TokenPair
from member_svc.settings import Settings

router = APIRouter(tags=["identity"])


def _ctx(request: Request) -> tuple[Settings, KeyCipher, Any]:
    runtime = request.app.state.runtime
    return runtime.settings, runtime.extras["cipher"], runtime.clock.now()


@router.post(
    "/api/v1/auth/login",
    response_model=TokenPair,
    dependencies=[Depends(PUBLIC)],
    summary="Log in with phone number and password",
)
async def login(body: LoginRequest, session: SessionDep, request: Request) -> TokenPair:
    settings, cipher, now = _ctx(request)
    return await service.login_with_password(
        session, phone=body.phone, password=body.password, settings=settings, cipher=cipher, now=now
    )


@router.post(
    "/api/v1/auth/refresh",
    response_model=TokenPair,
    dependencies=[Depends(PUBLIC)],
    summary="Exchange a refresh token for a new token pair (rotation)",
)
async def refresh(body: RefreshRequest, session: SessionDep, request: Request) -> TokenPair:
    settings, cipher, now = _ctx(request)
    return await service.refresh_tokens(
        session, token=body.refresh_token, settings=settings, cipher=cipher, now=now
    )


@router.get("/.well-known/jwks.json", dependencies=[Depends(PUBLIC)], summary="Token verification keys")
async def jwks(session: SessionDep, request: Request) -> dict[str, Any]:
    settings, _, now = _ctx(request)
    return await published_jwks(session, now, timedelta(minutes=settings.access_token_minutes + 5))


@router.get("/api/v1/me", response_model=Me, summary="The signed-in person")
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
