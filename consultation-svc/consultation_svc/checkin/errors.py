"""The check-in context's errors (Chinese and English), codes `checkin.<what>`."""

from cppcc_common.errors import AppError, ServiceUnavailable
from cppcc_common.text import Text


class CheckinNotConfigured(ServiceUnavailable):
    """The deployment has no signing key (CONSULTATION_CHECKIN_KEY): no code can be made or read."""

    code = "checkin.not_configured"
    detail = Text(
        "签到功能尚未配置，请联系管理员。", "Check-in is not configured; contact the administrator."
    )


class CheckinCodeInvalid(AppError):
    """Not a code of this activity: forged, damaged, or another activity's (a replay)."""

    status = 422
    code = "checkin.code_invalid"
    title = Text("签到码无效", "The check-in code is invalid")
    detail = Text(
        "签到码无效或不属于本次活动，请扫描会场屏幕上的签到码。",
        "The code is invalid or belongs to another activity; scan the code on the venue screen.",
    )


class CheckinCodeExpired(AppError):
    """The code rotated more than the grace window ago (a photo of the screen, passed on)."""

    status = 422
    code = "checkin.code_expired"
    title = Text("签到码已过期", "The check-in code has expired")
    detail = Text(
        "签到码已过期，请重新扫描会场屏幕上的最新签到码。",
        "The code has expired; scan the current code on the venue screen.",
    )


class CheckinClosed(AppError):
    """Check-in is open from the policy's minutes before the start until the end."""

    status = 409
    code = "checkin.closed"
    title = Text("不在签到时间内", "Check-in is not open")
    detail = Text(
        "签到时间为 {opens_at} 至 {closes_at}。", "Check-in is open from {opens_at} to {closes_at}."
    )
