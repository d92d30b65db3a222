"""Alibaba Cloud SMS (dysmsapi, API version 2017-05-25) `SendSms`, an RPC-style request signed with
signature version 1.0 (docs/notify.md, "Alibaba Cloud SMS"):

1. the parameters (common: AccessKeyId, Action, Format, RegionId, SignatureMethod=HMAC-SHA1,
   SignatureNonce, SignatureVersion=1.0, Timestamp in UTC ISO 8601, Version; the action's:
   PhoneNumbers, SignName, TemplateCode, TemplateParam, OutId), Signature excluded, sorted by name;
2. each name and value percent-encoded as RFC 3986 says (UTF-8; unreserved `A-Z a-z 0-9 - _ . ~`
   kept, a space is `%20`, `*` is `%2A`), joined `name=value` with `&`;
3. StringToSign = `METHOD&%2F&` + percent-encode(that query);
4. Signature = base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).

Answers: `{"Code": "OK", "BizId", "RequestId"}` is sent; `isv.MOBILE_NUMBER_ILLEGAL` (and the
empty-number code) mean the number is wrong; throttling, business flow control and system errors
are tried again; anything else (signature, template, key) never succeeds."""

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from cppcc_common.clock import Clock
from notify_svc.channels.providers import Message, Outcome, Result

INVALID_NUMBER = frozenset({"isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT"})
RETRY_CODES = frozenset(
    {
        "isp.SYSTEM_ERROR",
        "isp.RAM_PERMISSION_DENY",
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "Throttling.User",
        "Throttling",
        "ServiceUnavailable",
        "InternalError",
    }
)


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding as Alibaba Cloud's signature v1 needs it."""
    return quote(value, safe="~")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(query)}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_params(
    action_params: Mapping[str, str],
    *,
    access_key_id: str,
    access_key_secret: str,
    now: datetime,
    nonce: str,
    region: str = "cn-hangzhou",
    method: str = "POST",
) -> dict[str, str]:
    params = {
        "AccessKeyId": access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "RegionId": region,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "Timestamp": timestamp(now),
        "Version": "2017-05-25",
        **action_params,
    }
    return {**params, "Signature": signature(access_key_secret, method, params)}


def outcome_of(status: int, body: bytes) -> Result:
    try:
        answer = json.loads(body or b"{}")
        code = str(answer.get("Code", ""))
        text = str(answer.get("Message", ""))[:200]
    except (ValueError, AttributeError):
        code, text = "", ""
    detail = f"http {status} {code} {text}".strip()
    if status == 200 and code == "OK":
        return Result.sent(f"BizId {answer.get('BizId', '')}")
    if code in INVALID_NUMBER:
        return Result(Outcome.INVALID_TOKEN, detail)
    if code in RETRY_CODES or status >= 500 or status == 429:
        return Result(Outcome.RETRYABLE, detail)
    return Result(Outcome.PERMANENT, detail)


class AliyunSmsProvider:
    name = "aliyun"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_codes: Mapping[str, str],
        clock: Clock,
        url: str = "https://dysmsapi.aliyuncs.com/",
        region: str = "cn-hangzhou",
        timeout: float = 10.0,
    ) -> None:
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.template_codes = dict(template_codes)  # locale → TemplateCode (`${content}`)
        self.clock = clock
        self.url = url
        self.region = region
        self._http = httpx.AsyncClient(timeout=timeout, trust_env=False)

    def form(self, message: Message, locale: str, nonce: str) -> dict[str, str]:
        content = f"{message.title}{message.body}"
        template = self.template_codes.get(locale) or self.template_codes["zh"]
        return signed_params(
            {
                "PhoneNumbers": message.address,
                "SignName": self.sign_name,
                "TemplateCode": template,
                "TemplateParam": json.dumps({"content": content}, ensure_ascii=False, separators=(",", ":")),
                "OutId": str(message.delivery_id),
            },
            access_key_id=self.access_key_id,
            access_key_secret=self._secret,
            now=self.clock.now(),
            nonce=nonce,
            region=self.region,
        )

    async def send(self, message: Message) -> Result:
        locale = message.locale
        # The form body is percent-encoded exactly as signed (a phone number never rides in a URL).
        body = "&".join(
            f"{percent_encode(k)}={percent_encode(v)}"
            for k, v in self.form(message, locale, str(uuid.uuid4())).items()
        )
        try:
            response = await self._http.post(
                self.url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
        except httpx.HTTPError as exc:
            return Result(Outcome.RETRYABLE, type(exc).__name__)
        return outcome_of(response.status_code, response.content)

    async def aclose(self) -> None:
        await self._http.aclose()
