"""Apple Push Notification service over HTTP/2, token-based (docs/notify.md, "APNs").

`POST {apns_url}/3/device/<token>` with `authorization: bearer <JWT>` — an ES256 JWT signed with the
team's .p8 key, `kid` the key id, claims `iss` (team id) and `iat`, made again every 50 minutes
(Apple refuses one older than an hour and one made more often than every 20 minutes) — and
`apns-topic` (the bundle id), `apns-push-type: alert`, `apns-priority` (10 at once for urgent
notices, 5 otherwise), `apns-id` (the delivery's id) and `apns-expiration`.

Answers: 200 is sent; 410 (`Unregistered`) and 400 `BadDeviceToken` / `DeviceTokenNotForTopic` mean
the token is dead; 403 `ExpiredProviderToken` / `InvalidProviderToken` makes a new JWT and tries
again; 429 and 5xx are tried again; other answers never succeed."""

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt

from cppcc_common.clock import Clock
from notify_svc.channels.providers import Message, Outcome, Result

DEAD_TOKEN = frozenset({"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"})
STALE_JWT = frozenset({"ExpiredProviderToken", "InvalidProviderToken"})
JWT_LIFETIME = timedelta(minutes=50)
EXPIRATION = timedelta(hours=24)


def provider_token(private_key_pem: str, key_id: str, team_id: str, now: datetime) -> str:
    return jwt.encode(
        {"iss": team_id, "iat": int(now.timestamp())},
        private_key_pem,
        algorithm="ES256",
        headers={"kid": key_id},
    )


def request_headers(message: Message, *, token: str, topic: str, now: datetime) -> dict[str, str]:
    return {
        "authorization": f"bearer {token}",
        "apns-topic": topic,
        "apns-push-type": "alert",
        "apns-priority": "10" if message.urgent else "5",
        "apns-id": str(message.delivery_id),
        "apns-expiration": str(int((now + EXPIRATION).timestamp())),
    }


def request_body(message: Message) -> dict[str, Any]:
    aps: dict[str, Any] = {"alert": {"title": message.title, "body": message.body}, "sound": "default"}
    if message.urgent:
        aps["interruption-level"] = "time-sensitive"
    return {"aps": aps, **message.data}


def outcome_of(status: int, body: bytes) -> Result:
    if status == 200:
        return Result.sent()
    try:
        reason = str(json.loads(body or b"{}").get("reason", ""))
    except (ValueError, AttributeError):
        reason = ""
    detail = f"http {status} {reason}".strip()
    if status == 410 or reason in DEAD_TOKEN:
        return Result(Outcome.INVALID_TOKEN, detail)
    if reason in STALE_JWT or status == 429 or status >= 500:
        return Result(Outcome.RETRYABLE, detail)
    return Result(Outcome.PERMANENT, detail)


class ApnsProvider:
    name = "apns"

    def __init__(
        self,
        *,
        key_id: str,
        team_id: str,
        private_key_pem: str,
        topic: str,
        clock: Clock,
        url: str = "https://api.push.apple.com",
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.key_id, self.team_id, self.topic = key_id, team_id, topic
        self._key = private_key_pem
        self.clock = clock
        self.url = url.rstrip("/")
        # HTTP/2 (ALPN over TLS) as Apple requires; `client` for tests (h2c to a local server).
        self._http = client or httpx.AsyncClient(http2=True, timeout=timeout, trust_env=False)
        self._token: tuple[str, datetime] | None = None

    def token(self) -> str:
        """The provider JWT, made again when older than 50 minutes."""
        now = self.clock.now()
        if self._token is None or now - self._token[1] >= JWT_LIFETIME:
            self._token = (provider_token(self._key, self.key_id, self.team_id, now), now)
        return self._token[0]

    async def send(self, message: Message) -> Result:
        now = self.clock.now()
        headers = request_headers(message, token=self.token(), topic=self.topic, now=now)
        try:
            response = await self._http.post(
                f"{self.url}/3/device/{message.address}",
                content=json.dumps(request_body(message), ensure_ascii=False).encode(),
                headers=headers,
            )
        except httpx.HTTPError as exc:
            return Result(Outcome.RETRYABLE, type(exc).__name__)
        result = outcome_of(response.status_code, response.content)
        if result.outcome is Outcome.RETRYABLE and any(r in result.detail for r in STALE_JWT):
            self._token = None  # the next attempt signs a fresh one
        return result

    async def aclose(self) -> None:
        await self._http.aclose()
