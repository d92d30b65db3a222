"""Composition root of member-svc."""

from fastapi import FastAPI

from cppcc_common.app import Runtime, create_service_app
from cppcc_common.clock import Clock
from cppcc_common.settings import process_clock
from member_svc import tables  # noqa: F401 (every table on the metadata before the first query)
from member_svc.directory.router import router as directory_router
from member_svc.duty.consumers import CONSUMERS as DUTY_CONSUMERS
from member_svc.duty.router import router as duty_router
from member_svc.identity.key_source import DatabaseKeySource
from member_svc.identity.keys import KeyCipher
from member_svc.identity.router import router as identity_router
from member_svc.identity.sms import build_provider
from member_svc.roster.router import router as roster_router
from member_svc.settings import Settings


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    if settings.key_encryption_key is None:
        raise SystemExit(
            "MEMBER_KEY_ENCRYPTION_KEY is not set (32 random bytes, base64url); "
            "`make run` generates one for development."
        )
    cipher = KeyCipher(settings.key_encryption_key.get_secret_value())
    clock = clock or process_clock(settings)

    async def keep_cipher_and_sms(runtime: Runtime) -> None:
        runtime.extras["cipher"] = cipher
        runtime.extras["sms"] = build_provider(settings, runtime.sessionmaker)

    return create_service_app(
        settings,
        title="member-svc",
        description="组织、人员与账号、委员、承办单位、履职档案 / organizations, identity, members, units, duty ledger",
        routers=[identity_router, roster_router, directory_router, duty_router],
        streams=["MEMBER", "PROPOSAL", "CONSULTATION"],
        consumers=DUTY_CONSUMERS,
        key_source=lambda sessionmaker: DatabaseKeySource(sessionmaker, settings, clock),
        on_startup=[keep_cipher_and_sms],
        clock=clock,
        tags={
            "identity": "登录、令牌、密码与合作方系统 / sign-in, tokens, passwords, partner systems",
            "directory": "本级政协、届与次会议 / the organization, its terms and plenary sessions",
            "sectors": "界别及其召集人、联络员 / sectors, their conveners and liaison officers",
            "committees": "专门委员会 / special committees",
            "units": "承办单位及其用户 / handling units and their users",
            "members": "委员档案、状态与名单导入导出 / member records, status, roster import and export",
            "roster": "委员名单导入导出 / roster import and export",
            "duty": "履职档案与积分 / the duty ledger and its points",
        },
    )
