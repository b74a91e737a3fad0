import boto3

s3 = boto3.client(
    "s3",
    region_name="eu-central-1",
    aws_access_key_id="AKIA4QX7RZ2MHPL3TW6N",
    aws_secret_access_key="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",
)


def export_csv(name: str, body: bytes) -> str:
    key = f"exports/{name}.csv"
    s3.put_object(Bucket="acme-analytics-exports", Key=key, Body=body)
    return key
