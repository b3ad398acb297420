"""MultiAzNetwork and the pure CIDR planner it is built on (``cidr_plan`` imports no Pulumi)."""
