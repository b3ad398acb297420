"""Lambda code of the media pipeline: S3 upload events (through SQS) -> HLS renditions.

``handler.handler`` consumes the upload queue; ``status.handler`` consumes MediaConvert job state
changes from EventBridge. The package imports itself relatively, so it runs both as ``transcoder``
(its root in the Lambda archive) and as ``streaming_platform.media.transcoder`` (in the tests).
"""
