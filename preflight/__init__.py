"""Preflight: what a stack needs from its AWS account, checked with boto3 before the first ``pulumi up``.

``make preflight STACK=prod`` reads the stack's settings (``settings.parse`` over ``Pulumi.<stack>.yaml``, with
the account's own Availability Zones) and its offline recording (exact counts of VPCs, Elastic IPs, NAT gateways
and reserved Lambda concurrency), asks the account, and prints one PASS / WARN / FAIL / SKIP row per check with
the fix under each failure. It exits 1 when anything fails, 2 on invalid configuration, 0 otherwise.

- ``needs``: what the stack needs (derived, no AWS calls).
- ``checks``: one function per prerequisite family, each returning ``Result`` rows.
- ``report``: the table.
"""
