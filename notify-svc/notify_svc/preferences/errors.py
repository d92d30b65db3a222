from cppcc_common.errors import AppError, PreconditionFailed, ServiceUnavailable
from cppcc_common.text import Text


class PreferencesVersionMismatch(PreconditionFailed):
    code = "preferences.version_mismatch"
    title = Text("偏好设置已被修改，请刷新后重试", "The preferences changed meanwhile; read them again")


class UnknownCategory(AppError):
    status = 422
    code = "preferences.unknown_category"
    title = Text("没有这一类消息", "There is no such category of notices")
    detail = Text("未知的消息类别：{category}", "Unknown category: {category}")


class SmsNumbersNotConfigured(ServiceUnavailable):
    """No key to encrypt SMS numbers with (`NOTIFY_WEBHOOK_KEY`): a number cannot be kept."""

    code = "preferences.sms_not_configured"
    detail = Text(
        "短信号码的加密密钥未配置，暂不能登记手机号。",
        "The key encrypting SMS numbers is not configured; no number can be kept.",
    )
