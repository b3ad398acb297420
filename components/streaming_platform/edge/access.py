"""Access contract of the edge: CloudFront reading the renditions (and their DR replica) through origin access
control, and decrypting them with the media keys."""

from __future__ import annotations

from streaming_platform.access import ACCOUNT, Expect, Ref, Request, Workload
from streaming_platform.data.access import DataRefs, s3_key_context
from streaming_platform.data.tier import RENDITIONS, UPLOADS

OTHER_DISTRIBUTION = ("arn:aws:cloudfront::", ACCOUNT, ":distribution/EOTHERDIST0001")


def edge_workloads(name: str, data: str, *, dr_region: str | None) -> list[Workload]:
    d = DataRefs(data)
    distribution = Ref("aws:cloudfront/distribution:Distribution", f"{name}-cdn")
    source = {"aws:SourceArn": distribution, "aws:SourceAccount": ACCOUNT}
    origins = [(RENDITIONS, None)] + ([(f"{RENDITIONS}-dr", dr_region)] if dr_region else [])
    requests: list[Request] = []
    for bucket, region in origins:
        requests += [
            Request(
                label=f"read a segment from {bucket}",
                action="s3:GetObject",
                resource=d.object(bucket, "hls/v1/seg-1.ts"),
                context=source,
            ),
            Request(
                label=f"decrypt a segment of {bucket}",
                action="kms:Decrypt",
                resource=d.key("media", region),
                context={
                    **source,
                    **(s3_key_context(d.bucket(bucket), region) if region else s3_key_context(d.bucket(bucket))),
                },
            ),
            Request(
                label=f"read {bucket} for another distribution",
                action="s3:GetObject",
                resource=d.object(bucket, "hls/v1/seg-1.ts"),
                context={"aws:SourceArn": OTHER_DISTRIBUTION, "aws:SourceAccount": ACCOUNT},
                expect=Expect.DENIED,
            ),
            Request(
                label=f"read {bucket} over plain HTTP",
                action="s3:GetObject",
                resource=d.object(bucket, "hls/v1/seg-1.ts"),
                context={**source, "aws:SecureTransport": "false"},
                expect=Expect.DENIED,
            ),
            Request(
                label=f"write into {bucket}",
                action="s3:PutObject",
                resource=d.object(bucket, "hls/v1/seg-1.ts"),
                context=source,
                expect=Expect.DENIED,
            ),
        ]
    requests.append(
        Request(
            label="read a raw upload",
            action="s3:GetObject",
            resource=d.object(UPLOADS, "uploads/v1.mp4"),
            context=source,
            expect=Expect.DENIED,
        )
    )
    return [Workload(name="cloudfront-oac", principal="cloudfront.amazonaws.com", requests=tuple(requests))]
