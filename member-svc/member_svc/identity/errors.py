from cppcc_common.errors import AppError
from cppcc_common.i18n import Text


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


class InvalidClient(AppError):
    """OAuth2 client authentication failed (RFC 6749 §5.2 `invalid_client`)."""

    status = 401
    code = "auth.invalid_client"
    title = Text("客户端认证失败", "Client authentication failed")

    def problem(self, lang: str, instance: str) -> dict[str, object]:
        return {**super().problem(lang, instance), "error": "invalid_client"}
