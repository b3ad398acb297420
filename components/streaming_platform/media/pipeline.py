"""MediaPipeline: uploads -> S3 event -> SQS -> transcoder Lambda -> HLS renditions, with no upload lost.

The uploads bucket notifies an SSE-KMS queue (ObjectCreated under the upload prefix). The
transcoder Lambda consumes it from the private-app subnets of every AZ and reports partial batch
failures, backing off with ChangeMessageVisibility; a message that keeps failing moves to a dead-letter
queue after ``max_receive_count`` receives, and one no retry can fix goes there at once, where an alarm
sees it. Two backends, chosen with ``TranscodeBackend``:

* ``mediaconvert`` submits an HLS ABR job to AWS Elemental MediaConvert under a role of its own; an
  EventBridge rule on the job's COMPLETE / ERROR state change invokes a status function.
* ``ffmpeg`` transcodes inside the function with an ffmpeg binary from a Lambda layer. Limits: 250 MB
  unzipped for the function plus its layers, at most 10 GB of ``/tmp`` (``ephemeral_storage``) for the
  source and its renditions, and 15 minutes per invocation. Longer or larger uploads need mediaconvert.

The function code is ``transcoder/`` beside this module, shipped as package data and tested against moto;
this component owns the uploads bucket's one ``BucketNotification``. The pieces live beside it: ``args``
(arguments and their checks), ``access`` (policy documents), ``queues`` (key, queues, notification,
alarms), ``functions`` (the transcoder) and ``mediaconvert`` (the job role and the status function).
"""

from __future__ import annotations

import pulumi

from streaming_platform._component import StreamingComponent
from streaming_platform.media.args import (
    LAMBDA_MAX_TIMEOUT_SECONDS,
    LAMBDA_RUNTIME,
    LAYER_ARN,
    MediaPipelineArgs,
    TranscodeBackend,
    validate_args,
)
from streaming_platform.media.functions import FUNCTION_CODE_DIR, transcoder, vpc_config
from streaming_platform.media.mediaconvert import mediaconvert_role, status_function
from streaming_platform.media.policies import RENDITIONS_PREFIX, queue_policy
from streaming_platform.media.queues import alarms, queue_key, queues

__all__ = [
    "FUNCTION_CODE_DIR",
    "LAMBDA_MAX_TIMEOUT_SECONDS",
    "LAMBDA_RUNTIME",
    "LAYER_ARN",
    "RENDITIONS_PREFIX",
    "MediaPipeline",
    "MediaPipelineArgs",
    "TranscodeBackend",
    "queue_policy",
    "validate_args",
]


class MediaPipeline(StreamingComponent):
    """Upload queue + DLQ, the transcoder Lambda and its event source, alarms and the MediaConvert wiring."""

    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    dlq_url: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]
    queue_key_arn: pulumi.Output[str]
    transcoder_function_name: pulumi.Output[str]
    transcoder_role_arn: pulumi.Output[str]
    status_function_name: pulumi.Output[str] | None
    mediaconvert_role_arn: pulumi.Output[str] | None
    job_state_rule_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: MediaPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:media:MediaPipeline", name, protect=args.protect, tags=args.tags, opts=opts)
        problems = validate_args(args)
        if problems:
            raise ValueError("; ".join(problems))
        ffmpeg = args.transcode.backend is TranscodeBackend.FFMPEG

        key = queue_key(self, name, args)
        queue, dlq = queues(self, name, args, key)
        vpc = vpc_config(self, name, args)
        mc_role = None if ffmpeg else mediaconvert_role(self, name, args)
        function, role = transcoder(self, name, args, queue=queue, dlq=dlq, key=key, vpc=vpc, mediaconvert_role=mc_role)
        alarms(self, name, args, queue, dlq)

        self.status_function_name = None
        self.job_state_rule_arn = None
        if not ffmpeg:
            status, rule = status_function(self, name, args, key=key, vpc=vpc)
            self.status_function_name = status.name
            self.job_state_rule_arn = rule.arn
        self.mediaconvert_role_arn = mc_role.arn if mc_role else None

        self.queue_url, self.queue_arn = queue.url, queue.arn
        self.dlq_url, self.dlq_arn = dlq.url, dlq.arn
        self.queue_key_arn = key.arn
        self.transcoder_function_name = function.name
        self.transcoder_role_arn = role.arn
        self.register_outputs(
            {
                "queueUrl": self.queue_url,
                "queueArn": self.queue_arn,
                "dlqUrl": self.dlq_url,
                "dlqArn": self.dlq_arn,
                "queueKeyArn": self.queue_key_arn,
                "transcoderFunctionName": self.transcoder_function_name,
                "transcoderRoleArn": self.transcoder_role_arn,
                "statusFunctionName": self.status_function_name,
                "mediaconvertRoleArn": self.mediaconvert_role_arn,
                "jobStateRuleArn": self.job_state_rule_arn,
            }
        )
