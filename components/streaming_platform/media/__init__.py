"""MediaPipeline (S3 -> SQS -> Lambda) and, as package data, the transcoder's Lambda code in ``transcoder/``."""
