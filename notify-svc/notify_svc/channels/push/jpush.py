"""JPush (极光推送) REST API v3: `POST https://api.jpush.cn/v3/push`, HTTP Basic `AppKey:MasterSecret`,
one registration id as the audience, a notification per platform (docs/notify.md, "JPush").

Answers: 200 `{"sendno", "msg_id"}` is sent; 400 with error code 1011 ("cannot find user by this
audience": the registration id is unknown or inactive) means the token is dead; 429 (code 2002) and
5xx are tried again (after `X-Rate-Limit-Reset` seconds when given); other 4xx (1003 bad parameter,
1004 authentication, 1008 bad app key) never succeed."""

import base64
import json
from typing import Any

import httpx

from notify_svc.channels.providers import Message, Outcome, Result

# Registration ids the vendor does not know (or that were inactive too long).
INVALID_AUDIENCE = frozenset({1011})
RETRY_CODES = frozenset({2002, 1030})  # rate limited; internal timeout
PLATFORMS = {"android": "android", "ios": "ios", "harmony": "hmos"}
TIME_TO_LIVE = 86_400  # seconds JPush keeps a push for an offline device


def request_body(message: Message, *, apns_production: bool) -> dict[str, Any]:
    platform = PLATFORMS.get(message.platform or "android", "android")
    extras = dict(message.data)
    notification: dict[str, Any] = {"alert": message.body}
    if platform == "android":
        notification["android"] = {
            "alert": message.body,
            "title": message.title,
            "priority": 1 if message.urgent else 0,
            "extras": extras,
        }
    elif platform == "ios":
        notification["ios"] = {
            "alert": {"title": message.title, "body": message.body},
            "sound": "default",
            "extras": extras,
        }
    else:
        notification["hmos"] = {
            "alert": message.body,
            "title": message.title,
            "category": "WORK",
            "extras": extras,
        }
    return {
        "platform": [platform],
        "audience": {"registration_id": [message.address]},
        "notification": notification,
        "options": {"time_to_live": TIME_TO_LIVE, "apns_production": apns_production},
    }


def authorization(app_key: str, master_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{app_key}:{master_secret}".encode()).decode()


def outcome_of(status: int, body: bytes, headers: httpx.Headers) -> Result:
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        answer = {}
    if 200 <= status < 300:
        return Result.sent(f"msg_id {answer.get('msg_id', '')}")
    error = answer.get("error") if isinstance(answer, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    detail = (
        f"http {status} code {code}: {str(error.get('message', ''))[:200] if isinstance(error, dict) else ''}"
    )
    if code in INVALID_AUDIENCE:
        return Result(Outcome.INVALID_TOKEN, detail)
    if status == 429 or status >= 500 or code in RETRY_CODES:
        reset = headers.get("X-Rate-Limit-Reset")
        return Result(Outcome.RETRYABLE, detail, float(reset) if reset and reset.isdigit() else None)
    return Result(Outcome.PERMANENT, detail)


class JPushProvider:
    name = "jpush"

    def __init__(
        self,
        app_key: str,
        master_secret: str,
        *,
        url: str = "https://api.jpush.cn/v3/push",
        apns_production: bool = True,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.apns_production = apns_production
        self._auth = authorization(app_key, master_secret)
        self._http = httpx.AsyncClient(timeout=timeout, trust_env=False)

    async def send(self, message: Message) -> Result:
        try:
            response = await self._http.post(
                self.url,
                json=request_body(message, apns_production=self.apns_production),
                headers={"Authorization": self._auth},
            )
        except httpx.HTTPError as exc:
            return Result(Outcome.RETRYABLE, type(exc).__name__)
        return outcome_of(response.status_code, response.content, response.headers)

    async def aclose(self) -> None:
        await self._http.aclose()
