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
