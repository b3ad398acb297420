"""What the offline engine answers in place of AWS.

Invokes get realistic results (AZs per region, the caller, the partition); an
invoke nobody taught the engine is an error, so a new data-source call can
never silently return ``{}``. Resources get deterministic ids and ARNs in update
mode and stay unknown in preview mode, as they would on a brand-new stack.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

ACCOUNT_ID = "111122223333"

# Zone names and ids as a new account sees them. Where a region hides a zone from
# new accounts (us-west-1a, ap-northeast-1b, ca-central-1c) it is left out here too.
REGION_AZS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "us-east-1": tuple((f"us-east-1{s}", f"use1-az{i}") for i, s in zip((6, 1, 2, 4, 3, 5), "abcdef", strict=False)),
    "us-east-2": tuple((f"us-east-2{s}", f"use2-az{i}") for i, s in zip((1, 2, 3), "abc", strict=False)),
    "us-west-1": (("us-west-1b", "usw1-az3"), ("us-west-1c", "usw1-az1")),
    "us-west-2": tuple((f"us-west-2{s}", f"usw2-az{i}") for i, s in zip((1, 2, 3, 4), "abcd", strict=False)),
    "eu-west-1": tuple((f"eu-west-1{s}", f"euw1-az{i}") for i, s in zip((3, 1, 2), "abc", strict=False)),
    "eu-central-1": tuple((f"eu-central-1{s}", f"euc1-az{i}") for i, s in zip((2, 3, 1), "abc", strict=False)),
    "ap-northeast-1": (
        ("ap-northeast-1a", "apne1-az4"),
        ("ap-northeast-1c", "apne1-az1"),
        ("ap-northeast-1d", "apne1-az2"),
    ),
    "ap-southeast-2": tuple((f"ap-southeast-2{s}", f"apse2-az{i}") for i, s in zip((1, 3, 2), "abc", strict=False)),
    "ca-central-1": (("ca-central-1a", "cac1-az1"), ("ca-central-1b", "cac1-az2"), ("ca-central-1d", "cac1-az4")),
    "sa-east-1": tuple((f"sa-east-1{s}", f"sae1-az{i}") for i, s in zip((1, 2, 3), "abc", strict=False)),
}


# AWS-managed prefix lists by name, with the ids AWS publishes per region.
AWS_PREFIX_LISTS: Mapping[str, Mapping[str, str]] = {
    "com.amazonaws.global.cloudfront.origin-facing": {
        "us-east-1": "pl-3b927c52",
        "us-east-2": "pl-b6a144df",
        "us-west-2": "pl-82a045eb",
    },
}


class UnknownInvokeError(Exception):
    """An invoke the offline engine does not model: add it to ``Invokes`` deliberately."""


class Invokes:
    """The data-source calls a program may make, answered for one region."""

    def __init__(self, region: str) -> None:
        if region not in REGION_AZS:
            raise UnknownInvokeError(
                f"aws:region {region!r} is not modelled offline; known regions: {', '.join(sorted(REGION_AZS))}"
            )
        self.region = region
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "aws:index/getAvailabilityZones:getAvailabilityZones": self._availability_zones,
            "aws:index/getCallerIdentity:getCallerIdentity": self._caller_identity,
            "aws:index/getPartition:getPartition": self._partition,
            "aws:index/getRegion:getRegion": self._region,
            "aws:ec2/getManagedPrefixList:getManagedPrefixList": self._managed_prefix_list,
            "aws:ssm/getParameter:getParameter": self._ssm_parameter,
            "aws:route53/getZone:getZone": self._public_zone,
        }

    def register(self, token: str, handler: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        if token in self._handlers:
            raise ValueError(f"invoke {token} is already modelled")
        self._handlers[token] = handler

    def __call__(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = self._handlers.get(token)
        if handler is None:
            raise UnknownInvokeError(
                f"invoke {token} is not modelled by the offline engine (args: {sorted(args)}); "
                "teach offline/fakes.py what it returns instead of letting it answer {}"
            )
        return handler(args)

    def _availability_zones(self, args: dict[str, Any]) -> dict[str, Any]:
        region = args.get("region") or self.region
        zones = REGION_AZS[region]
        return {
            "id": region,
            "names": [n for n, _ in zones],
            "zoneIds": [z for _, z in zones],
            "groupNames": [region] * len(zones),
            "state": args.get("state", "available"),
        }

    def _caller_identity(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": ACCOUNT_ID,
            "accountId": ACCOUNT_ID,
            "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/platform-deployer/offline",
            "userId": "AROAOFFLINEDEPLOYER:offline",
        }

    def _partition(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}

    def _managed_prefix_list(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(args.get("name"))
        if name not in AWS_PREFIX_LISTS:
            raise UnknownInvokeError(f"managed prefix list {name!r} is not modelled; known: {sorted(AWS_PREFIX_LISTS)}")
        ids = AWS_PREFIX_LISTS[name]
        # Real ids where known; other regions get a stable stand-in of the same shape.
        pl_id = ids.get(self.region) or "pl-" + hashlib.sha256(f"{name}{self.region}".encode()).hexdigest()[:8]
        return {
            "id": pl_id,
            "name": name,
            "arn": f"arn:aws:ec2:{self.region}:aws:prefix-list/{pl_id}",
            "addressFamily": "IPv4",
            "maxEntries": 55,
            "ownerId": "AWS",
            "version": 1,
            "entries": [],
            "tags": {},
        }

    def _ssm_parameter(self, args: dict[str, Any]) -> dict[str, Any]:
        name = args.get("name", "")
        if not name.startswith(("/aws/service/ami-amazon-linux-latest/", "/aws/service/ecs/optimized-ami/")):
            raise UnknownInvokeError(f"SSM parameter {name!r} is not modelled (only the public AMI parameters are)")
        ami = "ami-" + hashlib.sha256(f"{name}{self.region}".encode()).hexdigest()[:17]
        return {
            "id": name,
            "name": name,
            "arn": f"arn:aws:ssm:{self.region}::parameter{name}",
            "type": "String",
            "value": ami,
            "insecureValue": ami,
            "version": 1,
            "withDecryption": True,
        }

    def _public_zone(self, args: dict[str, Any]) -> dict[str, Any]:
        """A public zone looked up by name (the parent a created zone is delegated from), in this fake account."""
        name = str(args.get("name") or "").rstrip(".")
        if not name or args.get("privateZone") or args.get("zoneId"):
            raise UnknownInvokeError(f"route53 getZone {sorted(args)} is not modelled (only public zones by name are)")
        zone_id = "Z" + hashlib.sha256(name.encode()).hexdigest()[:20].upper()
        return {
            "id": zone_id,
            "zoneId": zone_id,
            "name": name,
            "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
            "privateZone": False,
            "nameServers": [f"ns-{i}.awsdns-{i:02d}.net" for i in (11, 12, 13, 14)],
            "primaryNameServer": "ns-11.awsdns-11.net",
            "callerReference": name,
            "comment": "",
            "resourceRecordSetCount": 2,
            "linkedServiceDescription": "",
            "linkedServicePrincipal": "",
            "tags": {},
        }

    def _region(self, args: dict[str, Any]) -> dict[str, Any]:
        region = args.get("region") or self.region
        return {
            "id": region,
            "region": region,
            "name": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
            "description": region,
        }


# Prefixes AWS gives physical ids, so update-mode records read like the real thing.
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
}


def physical_id(type_: str, urn: str) -> str:
    digest = hashlib.sha256(urn.encode()).hexdigest()
    return _ID_PREFIX.get(type_, "") + digest[:17]


# ARN shapes where policies or tests read them; other types get a generic service/type/id ARN.
_ARN = {
    "aws:cloudwatch/logGroup:LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws:kms/key:Key": "arn:aws:kms:{region}:{account}:key/{id}",
    "aws:iam/role:Role": "arn:aws:iam::{account}:role/{name}",
    "aws:s3/bucket:Bucket": "arn:aws:s3:::{name}",
    "aws:sqs/queue:Queue": "arn:aws:sqs:{region}:{account}:{name}",
    "aws:sns/topic:Topic": "arn:aws:sns:{region}:{account}:{name}",
    "aws:cloudfront/distribution:Distribution": "arn:aws:cloudfront::{account}:distribution/{id}",
    "aws:ecr/repository:Repository": "arn:aws:ecr:{region}:{account}:repository/{name}",
    "aws:ecs/cluster:Cluster": "arn:aws:ecs:{region}:{account}:cluster/{name}",
    "aws:lambda/function:Function": "arn:aws:lambda:{region}:{account}:function:{name}",
    "aws:secretsmanager/secret:Secret": "arn:aws:secretsmanager:{region}:{account}:secret:{name}",
    "aws:cloudwatch/eventRule:EventRule": "arn:aws:events:{region}:{account}:rule/{name}",
    "aws:elasticache/replicationGroup:ReplicationGroup": "arn:aws:elasticache:{region}:{account}:replicationgroup:{id}",
    "aws:elasticache/user:User": "arn:aws:elasticache:{region}:{account}:user:{user_id}",
    "aws:rds/instance:Instance": "arn:aws:rds:{region}:{account}:db:{identifier}",
}


_SERVICE_LINKED_ROLE_NAMES = {"autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling"}


def computed_outputs(
    type_: str, name: str, urn: str, inputs: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    """The id and state a successful create would return: inputs plus the usual computed fields."""
    id_ = physical_id(type_, urn)
    service = type_.split(":")[1].split("/")[0]
    state = dict(inputs)
    region = inputs.get("region") or region  # pulumi-aws v7 resources may live outside the provider's region
    state.setdefault("name", f"{name}-{id_[-7:]}")
    if type_ == "aws:s3/bucket:Bucket":
        state.setdefault("bucket", state["name"])
    if type_ == "aws:kms/key:Key":
        state.setdefault("keyId", id_)
    for key, value in _extra_outputs(type_, name, id_, inputs, region).items():
        state.setdefault(key, value)
    template = _ARN.get(type_, "arn:aws:{service}:{region}:{account}:{kind}/{id}")
    state.setdefault(
        "arn",
        template.format(
            service=service,
            region=region,
            account=ACCOUNT_ID,
            kind=type_.rsplit(":", 1)[1].lower(),
            id=id_,
            name=state["name"],
            user_id=inputs.get("userId", ""),
            identifier=inputs.get("identifier", id_),
        ),
    )
    return id_, state


def _extra_outputs(type_: str, name: str, id_: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    """Computed attributes that other resources read (DNS names, zone ids, versions, generated values)."""
    if type_ == "random:index/randomPassword:RandomPassword":
        return {"result": hashlib.sha256(id_.encode()).hexdigest()[: int(inputs.get("length", 16))]}
    if type_ == "random:index/randomId:RandomId":
        return {"hex": hashlib.sha256(id_.encode()).hexdigest()[: 2 * int(inputs["byteLength"])]}
    if type_ == "aws:acm/certificate:Certificate":
        names = [inputs.get("domainName"), *(inputs.get("subjectAlternativeNames") or [])]
        return {
            "domainValidationOptions": [
                {
                    "domainName": n,
                    "resourceRecordName": f"_{hashlib.sha256(n.encode()).hexdigest()[:32]}.{n}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": f"_{hashlib.sha256(n[::-1].encode()).hexdigest()[:32]}.acm-validations.aws.",
                }
                for n in names
                if n
            ]
        }
    if type_ == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
        # IAM names the role after the service (autoscaling.amazonaws.com: AWSServiceRoleForAutoScaling).
        service = str(inputs.get("awsServiceName", ""))
        role = _SERVICE_LINKED_ROLE_NAMES.get(service, f"AWSServiceRoleFor{service.split('.')[0].title()}")
        return {"name": role, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{service}/{role}"}
    if type_ == "aws:route53/zone:Zone":
        return {"zoneId": "Z" + id_.upper()[:20], "nameServers": [f"ns-{i}.awsdns-{i:02d}.org" for i in (1, 2, 3, 4)]}
    if type_ == "aws:route53/record:Record":
        return {"fqdn": str(inputs.get("name", "")).rstrip(".")}
    if type_ == "aws:lb/loadBalancer:LoadBalancer":
        kind = "app" if inputs.get("loadBalancerType", "application") == "application" else "net"
        return {
            "dnsName": f"{name}-{id_[:8]}.{region}.elb.amazonaws.com",
            "zoneId": "Z1H1FL5HABSF5",
            "arnSuffix": f"{kind}/{name}/{id_[:16]}",
        }
    if type_ == "aws:sqs/queue:Queue":
        queue_name = inputs.get("name") or f"{name}-{id_[-7:]}"
        return {"url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{queue_name}"}
    if type_ == "aws:rds/instance:Instance":
        # DbiResourceId: the instance's region-unique id, the resource of rds-db:connect ARNs.
        return {"resourceId": "db-" + hashlib.sha256(id_.encode()).hexdigest()[:26].upper()}
    if type_ == "aws:lb/targetGroup:TargetGroup":
        return {"arnSuffix": f"targetgroup/{name}/{id_[:16]}"}
    if type_ == "aws:ec2/launchTemplate:LaunchTemplate":
        return {"latestVersion": 1}
    if type_ == "aws:ecr/repository:Repository":
        return {"repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{inputs.get('name', name)}"}
    if type_ == "aws:apigateway/restApi:RestApi":
        return {"rootResourceId": id_[:10], "executionArn": f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{id_[:10]}"}
    if type_ == "aws:cloudfront/distribution:Distribution":
        return {"domainName": f"d{id_[:13]}.cloudfront.net", "hostedZoneId": "Z2FDTNDATAQYW2"}
    if type_ == "aws:apigateway/domainName:DomainName":
        return {
            "regionalDomainName": f"d-{id_[:10]}.execute-api.{region}.amazonaws.com",
            "regionalZoneId": "Z2OJLYMUO9EFXC",
        }
    return {}
