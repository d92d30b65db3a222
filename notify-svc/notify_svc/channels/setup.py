"""Which provider sends what, from the settings: a delivery's `route` (the device's vendor, or
"sms") names it. Development by default: one recording provider for everything."""

import logging

from cppcc_common.clock import Clock, SystemClock
from notify_svc.channels.providers import DevelopmentProvider, Provider
from notify_svc.channels.push.apns import ApnsProvider
from notify_svc.channels.push.jpush import JPushProvider
from notify_svc.channels.sms.aliyun import AliyunSmsProvider
from notify_svc.settings import Settings

log = logging.getLogger("cppcc.channels")


def build_providers(settings: Settings, clock: Clock | None = None) -> dict[str, Provider]:
    clock = clock or SystemClock()
    development = DevelopmentProvider()
    providers: dict[str, Provider] = {"development": development, "apns": development, "jpush": development}
    providers["sms"] = development
    if settings.environment == "production" and "development" in (
        settings.push_provider,
        settings.sms_provider,
    ):
        log.warning(
            "push or SMS uses the development provider in production: messages are recorded, not sent",
            extra={"push_provider": settings.push_provider, "sms_provider": settings.sms_provider},
        )
    timeout = settings.channel_provider_timeout_seconds
    if settings.push_provider == "vendors":
        assert settings.jpush_app_key and settings.jpush_master_secret  # the settings check it
        assert (
            settings.apns_key_id
            and settings.apns_team_id
            and settings.apns_private_key
            and settings.apns_topic
        )
        providers["jpush"] = JPushProvider(
            settings.jpush_app_key,
            settings.jpush_master_secret.get_secret_value(),
            url=settings.jpush_url,
            apns_production=settings.jpush_apns_production,
            timeout=timeout,
        )
        providers["apns"] = ApnsProvider(
            key_id=settings.apns_key_id,
            team_id=settings.apns_team_id,
            private_key_pem=settings.apns_private_key.get_secret_value(),
            topic=settings.apns_topic,
            clock=clock,
            url=settings.apns_url,
            timeout=timeout,
        )
    if settings.sms_provider == "aliyun":
        assert settings.aliyun_access_key_id and settings.aliyun_access_key_secret
        assert settings.aliyun_sms_sign_name and settings.aliyun_sms_template_code
        codes = {"zh": settings.aliyun_sms_template_code}
        if settings.aliyun_sms_template_code_en:
            codes["en"] = settings.aliyun_sms_template_code_en
        providers["sms"] = AliyunSmsProvider(
            access_key_id=settings.aliyun_access_key_id,
            access_key_secret=settings.aliyun_access_key_secret.get_secret_value(),
            sign_name=settings.aliyun_sms_sign_name,
            template_codes=codes,
            clock=clock,
            url=settings.aliyun_sms_url,
            region=settings.aliyun_region,
            timeout=timeout,
        )
    return providers
