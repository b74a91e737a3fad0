import base64
import hashlib

import boto3

s3 = boto3.client("s3")


def upload_report(bucket: str, key: str, data: bytes) -> str:
    digest = hashlib.md5(data, usedforsecurity=False)
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentMD5=base64.b64encode(digest.digest()).decode())
    head = s3.head_object(Bucket=bucket, Key=key)
    if head["ETag"].strip('"') != digest.hexdigest():
        raise IOError(f"upload of {key} was corrupted in transit")
    return head["ETag"]
