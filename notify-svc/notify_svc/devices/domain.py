"""Which vendor's push reaches which platform (pure)."""

from enum import StrEnum


class Platform(StrEnum):
    IOS = "ios"
    ANDROID = "android"
    HARMONY = "harmony"


class Vendor(StrEnum):
    """Who delivers a device's pushes: Apple's APNs, JPush (极光, Android, HarmonyOS and iOS through
    its own APNs certificate), or the development provider (a simulator, `make run`)."""

    APNS = "apns"
    JPUSH = "jpush"
    DEVELOPMENT = "development"


# APNs reaches Apple devices only; JPush and the development provider every platform.
VENDOR_PLATFORMS: dict[Vendor, frozenset[Platform]] = {
    Vendor.APNS: frozenset({Platform.IOS}),
    Vendor.JPUSH: frozenset(Platform),
    Vendor.DEVELOPMENT: frozenset(Platform),
}


def serves(vendor: Vendor, platform: Platform) -> bool:
    return platform in VENDOR_PLATFORMS[vendor]
