"""PublicZone (Route 53 + ACM) and StreamingEdge (CloudFront, CLOUDFRONT-scope WAF, origin failover)."""
