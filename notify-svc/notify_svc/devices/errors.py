from cppcc_common.errors import AppError, NotFound
from cppcc_common.text import Text


class DeviceNotFound(NotFound):
    code = "device.not_found"
    title = Text("没有这台设备", "No such device")


class VendorPlatformMismatch(AppError):
    status = 422
    code = "device.vendor_platform_mismatch"
    title = Text("该推送服务不支持这一平台", "This push vendor does not serve this platform")
    detail = Text("{vendor} 不能推送到 {platform} 设备。", "{vendor} cannot push to {platform} devices.")
