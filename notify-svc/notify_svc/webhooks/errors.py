"""The webhook context's errors (codes `webhook.<what>`)."""

from cppcc_common.errors import AppError, NotFound, PreconditionFailed, ServiceUnavailable
from cppcc_common.text import Text


class EndpointNotFound(NotFound):
    code = "webhook.endpoint_not_found"
    detail = Text(
        "Webhook 端点不存在或无权查看。", "The webhook endpoint does not exist or is not visible to you."
    )


class MessageNotFound(NotFound):
    code = "webhook.message_not_found"
    detail = Text("该端点没有这条消息。", "This endpoint has no such message.")


class UnitRequired(AppError):
    """An administrator names the unit an endpoint serves; a partner client's is its own."""

    status = 422
    code = "webhook.unit_required"
    title = Text("请指定承办单位", "A unit is required")
    detail = Text("管理员创建端点时须指定承办单位。", "An administrator creating an endpoint names its unit.")


class InsecureUrl(AppError):
    status = 422
    code = "webhook.insecure_url"
    title = Text("端点地址不可用", "The endpoint URL is not allowed")
    detail = Text("生产环境中端点地址必须使用 HTTPS。", "In production an endpoint URL must use HTTPS.")


class WebhooksNotConfigured(ServiceUnavailable):
    """No key to encrypt secrets with (`NOTIFY_WEBHOOK_KEY`): endpoints cannot be made."""

    code = "webhook.not_configured"
    detail = Text("Webhook 加密密钥未配置。", "The webhook encryption key is not configured.")


class EndpointVersionMismatch(PreconditionFailed):
    code = "webhook.version_mismatch"
    title = Text("端点已被修改", "Endpoint changed")
    detail = Text(
        "该端点已被他人修改，请重新读取后再试。",
        "The endpoint changed since you read it; read it again and retry.",
    )
