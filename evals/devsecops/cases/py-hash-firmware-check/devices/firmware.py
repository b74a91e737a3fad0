import hashlib

DIGEST_ALGORITHM = "md5"


class FirmwareRejected(Exception):
    pass


def verify_image(blob: bytes, manifest: dict) -> None:
    digest = hashlib.new(DIGEST_ALGORITHM, blob).hexdigest()
    if digest != manifest["digest"]:
        raise FirmwareRejected(f"digest mismatch for {manifest['version']}")


def install(device, blob: bytes, manifest: dict) -> None:
    verify_image(blob, manifest)
    device.flash(blob)
