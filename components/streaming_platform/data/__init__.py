"""DataTier: KMS keys per data class, DynamoDB, ElastiCache, RDS PostgreSQL and the S3 buckets."""
