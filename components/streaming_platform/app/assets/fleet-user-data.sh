#!/bin/bash
# ECS container instance bootstrap (ECS-optimized Amazon Linux 2023): join the cluster, nothing else.
# Rendered by streaming_platform.app.fleet: @@PLACEHOLDERS@@ are replaced at deploy time. No secrets here:
# user data is readable by anyone with ec2:DescribeInstanceAttribute.
# Agent variables: Amazon ECS Developer Guide, "Amazon ECS container agent configuration".
set -euo pipefail

cat >>/etc/ecs/ecs.config <<'ECS'
ECS_CLUSTER=@@CLUSTER@@
ECS_AWSVPC_BLOCK_IMDS=true
ECS_ENABLE_SPOT_INSTANCE_DRAINING=true
ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE=true
ECS
