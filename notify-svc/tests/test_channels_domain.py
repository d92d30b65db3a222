"""The rules of the people's channels without a database: quiet hours, channel choices, the retry
schedule, every push / SMS / English template rendered with a real event (SMS within its length
limit), and each vendor's wire format as built (docs/notify.md)."""

import base64
import hashlib
import hmac
import json
import random
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from test_audience import PEOPLE, ROWS, _envelope

from cppcc_common.clock import FakeClock
from notify_svc.audience import Notice, notices
from notify_svc.channels.providers import Message, Outcome
from notify_svc.channels.push import apns, jpush
from notify_svc.channels.queue.domain import JITTER, MAX_ATTEMPTS, RETRY_DELAYS, next_attempt
from notify_svc.channels.setup import build_providers
from notify_svc.channels.sms import aliyun
from notify_svc.devices.domain import Platform, Vendor, serves
from notify_svc.preferences.domain import (
    CategoryChoice,
    Channel,
    Preferences,
    default_preferences,
    quiet_until,
)
from notify_svc.rendering import render_notice, template_names
from notify_svc.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
SMS_SIGNATURE = "【掌上政协】"
SMS_MAX_SEGMENTS = 2  # docs/notify.md: every SMS fits in two segments, signature included


def _at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    """A moment of 2 March 2026 in Shanghai, as UTC (what the clock gives)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


# ---- quiet hours --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (_at(21, 59), None),
        (_at(22, 0), _at(8, 0, day=3)),  # the evening: held to tomorrow's 08:00
        (_at(23, 30), _at(8, 0, day=3)),
        (_at(0, 0), _at(8, 0)),  # after midnight: held to this morning's 08:00
        (_at(7, 59), _at(8, 0)),
        (_at(8, 0), None),
        (_at(13, 0), None),
    ],
)
def test_default_quiet_hours_hold_until_eight_in_shanghai(now: datetime, until: datetime | None) -> None:
    assert default_preferences().hold_until(now) == until


def test_a_window_within_one_day_and_an_empty_window() -> None:
    nap = (time(12, 0), time(14, 0))
    assert quiet_until(_at(12, 30), *nap, SHANGHAI) == _at(14, 0)
    assert quiet_until(_at(14, 0), *nap, SHANGHAI) is None
    assert quiet_until(_at(3, 0), time(0, 0), time(0, 0), SHANGHAI) is None


def test_quiet_hours_turned_off_hold_nothing() -> None:
    assert Preferences(quiet_enabled=False).hold_until(_at(23, 0)) is None


# ---- channel choices ----------------------------------------------------------------------------


def test_push_is_on_and_sms_only_for_urgent_categories_by_default() -> None:
    prefs = Preferences(sms_phone="13800138000")
    assert prefs.wants("proposal.filed", Channel.PUSH)
    assert not prefs.wants("proposal.filed", Channel.SMS)
    assert prefs.wants("proposal.feedback_overdue", Channel.SMS)


def test_sms_needs_a_phone_number_and_a_choice_overrides_the_default() -> None:
    assert not Preferences().wants("proposal.feedback_overdue", Channel.SMS)
    prefs = Preferences(
        categories={"proposal.filed": CategoryChoice(push=False, sms=True)}, sms_phone="13800138000"
    )
    assert not prefs.wants("proposal.filed", Channel.PUSH)
    assert prefs.wants("proposal.filed", Channel.SMS)


def test_apns_serves_apple_devices_only() -> None:
    assert serves(Vendor.APNS, Platform.IOS)
    assert not serves(Vendor.APNS, Platform.ANDROID) and not serves(Vendor.APNS, Platform.HARMONY)
    assert all(serves(Vendor.JPUSH, p) for p in Platform)


# ---- retries ------------------------------------------------------------------------------------


def test_retries_back_off_with_jitter_then_give_up() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    rng = random.Random(3)
    for attempts, delay in enumerate(RETRY_DELAYS, start=1):
        at = next_attempt(attempts, now, rng)
        assert at is not None
        assert delay * (1 - JITTER) <= at - now <= delay * (1 + JITTER)
    assert next_attempt(MAX_ATTEMPTS, now, rng) is None


def test_a_vendors_retry_after_is_honoured_up_to_a_cap() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    at = next_attempt(1, now, random.Random(1), retry_after=600)
    assert at == now + timedelta(seconds=600)
    capped = next_attempt(1, now, random.Random(1), retry_after=10**9)
    assert capped is not None and capped - now == timedelta(hours=2)


# ---- templates ----------------------------------------------------------------------------------


def _every_notice() -> list[Notice]:
    return [n for _, data, _ in ROWS for n in notices(_envelope(data), data, PEOPLE)]


@pytest.mark.parametrize("channel", ["inbox", "push", "sms"])
@pytest.mark.parametrize("locale", ["zh", "en"])
def test_every_template_renders_with_a_real_event_in_both_languages(channel: str, locale: str) -> None:
    used: set[str] = set()
    for n in _every_notice():
        text = render_notice(channel, n, locale)
        assert text.title and "{" not in text.title + text.body, (channel, n.template)
        if channel != "sms":
            assert text.body, (channel, n.template)
        used.add(n.template)
    assert used == set(template_names(channel)) == set(template_names("inbox"))


def test_english_templates_exist_for_every_template_and_read_english() -> None:
    for n in _every_notice():
        for channel in ("inbox", "push", "sms"):
            en = render_notice(channel, n, "en")
            assert en != render_notice(channel, n, "zh"), (channel, n.template)
            # English text; only the names the event carries may be Chinese.
            text = f"{en.title} {en.body}"
            for value in n.params.values():
                if isinstance(value, str):
                    text = text.replace(value, "")
            text = text.replace(str(n.params.get("title", ""))[:40], "")
            assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) <= 10, (channel, n.template, text)


def _segments(text: str) -> int:
    """SMS segments of a text with Chinese in it (UCS-2): 70 characters alone, 67 per part."""
    return 1 if len(text) <= 70 else -(-len(text) // 67)


LONG = "关于进一步完善城市公共交通线网规划并加快推进老旧小区加装电梯工作以切实方便群众出行的建议" * 3


def _longest(n: Notice) -> Notice:
    """The notice with every text of the event as long as it can be (titles, names, reasons)."""
    params = {
        k: (
            LONG
            if isinstance(v, str)
            and k in {"title", "into_title", "reason", "note", "name", "proposer", "cosigner", "meeting"}
            else v
        )
        for k, v in n.params.items()
    }
    return replace(n, params=params)


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_every_sms_fits_in_two_segments_even_with_the_longest_texts(locale: str) -> None:
    for n in _every_notice():
        for notice in (n, _longest(n)):
            text = render_notice("sms", notice, locale)
            sms = SMS_SIGNATURE + text.title + text.body
            assert _segments(sms) <= SMS_MAX_SEGMENTS, (n.template, len(sms), sms)


def test_push_titles_stay_short() -> None:
    for n in _every_notice():
        for locale in ("zh", "en"):
            text = render_notice("push", _longest(n), locale)
            assert len(text.title) <= 50 and len(text.body) <= 200, (n.template, text)


# ---- Alibaba Cloud SMS --------------------------------------------------------------------------


def test_aliyun_signature_matches_alibabas_published_example() -> None:
    """Alibaba Cloud's SMS documentation signs this GET with AccessKeySecret `testSecret` and gets
    `zJDF+Lrzhj/ThnlvIToysFRq6t4=`."""
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun.string_to_sign("GET", params).startswith(
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    )
    assert aliyun.signature("testSecret", "GET", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_percent_encoding_is_rfc_3986() -> None:
    assert aliyun.percent_encode("a b*c~d/é") == "a%20b%2Ac~d%2F%C3%A9"


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (200, "OK", Outcome.SENT),
        (200, "isv.MOBILE_NUMBER_ILLEGAL", Outcome.INVALID_TOKEN),
        (200, "isv.BUSINESS_LIMIT_CONTROL", Outcome.RETRYABLE),
        (200, "isp.SYSTEM_ERROR", Outcome.RETRYABLE),
        (503, "ServiceUnavailable", Outcome.RETRYABLE),
        (400, "isv.SMS_TEMPLATE_ILLEGAL", Outcome.PERMANENT),
        (404, "InvalidAccessKeyId.NotFound", Outcome.PERMANENT),
    ],
)
def test_aliyun_answers_map_to_outcomes(status: int, code: str, outcome: Outcome) -> None:
    body = json.dumps({"Code": code, "Message": "x", "RequestId": "r"}).encode()
    assert aliyun.outcome_of(status, body).outcome is outcome


# ---- JPush --------------------------------------------------------------------------------------


def _message(**kw: object) -> Message:
    values: dict[str, object] = {
        "delivery_id": uuid.UUID("0193e7c2-6a3f-7b0e-9d1c-2f4a5b6c7d8e"),
        "channel": "push",
        "address": "1a0018970a2b3c4d5e6",
        "platform": "android",
        "title": "提案已交办",
        "body": "《关于加装电梯的建议》已交承办单位办理。",
        "urgent": False,
        "category": "proposal.assigned",
        "data": {"object_type": "proposal"},
    }
    return Message(**{**values, **kw})  # type: ignore[arg-type]


def test_jpush_body_targets_one_registration_id_per_platform() -> None:
    android = jpush.request_body(_message(), apns_production=True)
    assert android["platform"] == ["android"]
    assert android["audience"] == {"registration_id": ["1a0018970a2b3c4d5e6"]}
    assert android["notification"]["android"]["title"] == "提案已交办"
    assert android["notification"]["android"]["extras"] == {"object_type": "proposal"}
    ios = jpush.request_body(_message(platform="ios"), apns_production=False)
    assert ios["notification"]["ios"]["alert"] == {"title": "提案已交办", "body": _message().body}
    assert ios["options"]["apns_production"] is False
    assert jpush.request_body(_message(platform="harmony"), apns_production=True)["platform"] == ["hmos"]
    assert jpush.authorization("key", "secret") == "Basic " + base64.b64encode(b"key:secret").decode()


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, {"sendno": "0", "msg_id": "54043195528"}, Outcome.SENT),
        (
            400,
            {"error": {"code": 1011, "message": "cannot find user by this audience"}},
            Outcome.INVALID_TOKEN,
        ),
        (429, {"error": {"code": 2002, "message": "Rate limit exceeded"}}, Outcome.RETRYABLE),
        (500, {}, Outcome.RETRYABLE),
        (401, {"error": {"code": 1004, "message": "Authen failed"}}, Outcome.PERMANENT),
        (400, {"error": {"code": 1003, "message": "bad parameter"}}, Outcome.PERMANENT),
    ],
)
def test_jpush_answers_map_to_outcomes(status: int, body: dict[str, object], outcome: Outcome) -> None:
    headers = httpx.Headers({"X-Rate-Limit-Reset": "30"})
    result = jpush.outcome_of(status, json.dumps(body).encode(), headers)
    assert result.outcome is outcome
    if status == 429:
        assert result.retry_after == 30


# ---- APNs ---------------------------------------------------------------------------------------


def test_apns_provider_token_is_an_es256_jwt_apple_can_verify() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    token = apns.provider_token(pem.decode(), "ABC123DEFG", "DEF123GHIJ", now)
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "ABC123DEFG", "typ": "JWT"}
    claims = jwt.decode(token, key.public_key(), algorithms=["ES256"], options={"verify_iat": False})
    assert claims == {"iss": "DEF123GHIJ", "iat": int(now.timestamp())}


def test_apns_provider_token_is_made_again_after_fifty_minutes() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    clock = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    provider = apns.ApnsProvider(
        key_id="K", team_id="T", private_key_pem=pem.decode(), topic="cn.gov.cppcc", clock=clock
    )
    first = provider.token()
    clock.advance(timedelta(minutes=49))
    assert provider.token() == first
    clock.advance(timedelta(minutes=1))
    assert provider.token() != first


def test_apns_headers_and_payload() -> None:
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    headers = apns.request_headers(
        _message(platform="ios", urgent=True), token="t", topic="cn.gov.cppcc", now=now
    )
    assert headers["authorization"] == "bearer t"
    assert headers["apns-topic"] == "cn.gov.cppcc" and headers["apns-push-type"] == "alert"
    assert headers["apns-priority"] == "10"
    assert headers["apns-id"] == "0193e7c2-6a3f-7b0e-9d1c-2f4a5b6c7d8e"
    assert apns.request_headers(_message(), token="t", topic="x", now=now)["apns-priority"] == "5"
    body = apns.request_body(_message(urgent=True))
    assert body["aps"]["alert"] == {"title": "提案已交办", "body": _message().body}
    assert body["aps"]["interruption-level"] == "time-sensitive" and body["object_type"] == "proposal"


@pytest.mark.parametrize(
    ("status", "reason", "outcome"),
    [
        (200, None, Outcome.SENT),
        (410, "Unregistered", Outcome.INVALID_TOKEN),
        (400, "BadDeviceToken", Outcome.INVALID_TOKEN),
        (400, "DeviceTokenNotForTopic", Outcome.INVALID_TOKEN),
        (403, "ExpiredProviderToken", Outcome.RETRYABLE),
        (429, "TooManyRequests", Outcome.RETRYABLE),
        (503, "ServiceUnavailable", Outcome.RETRYABLE),
        (400, "PayloadTooLarge", Outcome.PERMANENT),
        (400, "BadTopic", Outcome.PERMANENT),
    ],
)
def test_apns_answers_map_to_outcomes(status: int, reason: str | None, outcome: Outcome) -> None:
    body = json.dumps({"reason": reason}).encode() if reason else b""
    assert apns.outcome_of(status, body).outcome is outcome


# ---- settings -----------------------------------------------------------------------------------


def test_real_providers_need_their_credentials_and_development_in_production_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(ValueError, match="jpush_app_key"):
        Settings(push_provider="vendors")
    with pytest.raises(ValueError, match="aliyun_access_key_id"):
        Settings(sms_provider="aliyun")
    build_providers(Settings(environment="production"))
    assert "recorded, not sent" in caplog.text


def test_settings_choose_the_real_provider_per_channel() -> None:
    settings = Settings(
        push_provider="vendors",
        jpush_app_key="app",
        jpush_master_secret="master",  # type: ignore[arg-type]
        apns_key_id="K",
        apns_team_id="T",
        apns_private_key="pem",  # type: ignore[arg-type]
        apns_topic="cn.gov.cppcc",
    )
    chosen = build_providers(settings)
    assert (chosen["jpush"].name, chosen["apns"].name, chosen["sms"].name) == ("jpush", "apns", "development")


def test_secrets_never_show_in_the_settings_repr() -> None:
    settings = Settings(
        sms_provider="aliyun",
        aliyun_access_key_id="LTAI",
        aliyun_access_key_secret="very-secret",  # type: ignore[arg-type]
        aliyun_sms_sign_name="掌上政协",
        aliyun_sms_template_code="SMS_1",
    )
    assert "very-secret" not in repr(settings) and "very-secret" not in str(settings.model_dump())


def test_hmac_of_the_signature_is_sha1_keyed_with_the_secret_and_an_ampersand() -> None:
    params = {"A": "1"}
    expected = base64.b64encode(
        hmac.new(b"s&", aliyun.string_to_sign("POST", params).encode(), hashlib.sha1).digest()
    ).decode()
    assert aliyun.signature("s", "POST", params) == expected
    assert date(2026, 1, 1)  # keeps the date import honest for the fixtures above
