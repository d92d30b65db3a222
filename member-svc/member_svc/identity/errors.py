from typing import Any, ClassVar

from cppcc_common.errors import AppError
from cppcc_common.text import Text


class InvalidCredentials(AppError):
    status = 401
    code = "auth.invalid_credentials"
    title = Text("手机号或密码错误", "Wrong phone number or password")
    detail = Text("请检查手机号和密码后重试。", "Check the phone number and password and try again.")


class InvalidRefreshToken(AppError):
    status = 401
    code = "auth.invalid_refresh_token"
    title = Text("登录已失效，请重新登录", "Session expired; sign in again")


class RefreshTokenReused(InvalidRefreshToken):
    """An already-rotated token came back: its family is revoked, and that revocation is kept."""

    keeps_changes = True


class AccountLocked(AppError):
    """Too many failed logins for this phone or address (DESIGN.md §6)."""

    status = 429
    code = "auth.locked"
    title = Text("登录失败次数过多，已暂时锁定", "Too many failed attempts; temporarily locked")
    detail = Text("请在 {retry_after} 秒后重试。", "Try again in {retry_after} seconds.")


class LoginFailed(InvalidCredentials):
    """A failed password login: the failure counters it raised must be kept."""

    keeps_changes = True


class InvalidSmsCode(AppError):
    status = 401
    code = "auth.invalid_sms_code"
    title = Text("验证码错误或已过期", "Wrong or expired verification code")
    detail = Text("请重新获取验证码。", "Request a new code and try again.")
    keeps_changes = True  # attempts and failure counters stick


class SmsTooFrequent(AppError):
    status = 429
    code = "auth.sms_too_frequent"
    title = Text("验证码发送过于频繁", "Codes requested too often")
    detail = Text("请在 {retry_after} 秒后重试。", "Try again in {retry_after} seconds.")


class WeakPassword(AppError):
    status = 422
    code = "auth.weak_password"
    title = Text("密码强度不足", "Password too weak")
    detail = Text(
        "密码至少 {min_length} 位，且须同时包含字母和数字。",
        "At least {min_length} characters, with both letters and digits.",
    )


class WrongCurrentPassword(AppError):
    status = 403
    code = "auth.wrong_current_password"
    title = Text("当前密码不正确", "The current password is wrong")


class OAuthError(AppError):
    """An error of the token endpoint: problem+json that also has RFC 6749 §5.2's `error` and
    `error_description` members, so OAuth2 client libraries understand it."""

    error: ClassVar[str] = "invalid_request"

    def problem(self, lang: str, instance: str) -> dict[str, Any]:
        # error_description is restricted to printable ASCII (RFC 6749 §5.2): always the English title.
        return {**super().problem(lang, instance), "error": self.error, "error_description": self.title.en}


class InvalidRequest(OAuthError):
    """A malformed token request: wrong media type, a missing or repeated parameter, bad characters."""

    status = 400
    code = "auth.invalid_request"
    error = "invalid_request"
    title = Text("令牌请求格式错误", "Malformed token request")
    detail = Text(
        "请以 application/x-www-form-urlencoded 提交 grant_type 及客户端凭据，每个参数只出现一次。",
        "Send grant_type and the client credentials form-encoded, each parameter once.",
    )


class UnsupportedGrantType(OAuthError):
    status = 400
    code = "auth.unsupported_grant_type"
    error = "unsupported_grant_type"
    title = Text("不支持的授权类型", "Unsupported grant type")
    detail = Text("仅支持 client_credentials。", "Only client_credentials is supported.")


class InvalidClient(OAuthError):
    """OAuth2 client authentication failed (RFC 6749 §5.2 `invalid_client`)."""

    status = 401
    code = "auth.invalid_client"
    error = "invalid_client"
    title = Text("客户端认证失败", "Client authentication failed")
