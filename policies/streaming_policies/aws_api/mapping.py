"""Which Pulumi input feeds which AWS API member: declared by hand, per (resource type, input path).

Pulumi input names are the camelCase of terraform-provider-aws attribute names; the API members
they end up in are named differently (``visibilityTimeoutSeconds`` -> SQS ``VisibilityTimeout``,
``loadBalancerType`` -> ELBv2 ``CreateLoadBalancerInput.Type``), so nothing here is derived by
name. ``tests/policy/test_aws_api.py`` keeps the table honest: every service/shape/member exists in
the installed botocore model and carries a constraint, and every resource type the stacks register
is either mapped here or listed in :data:`NO_CONSTRAINED_INPUTS` with the reason.

Input paths: dotted keys; ``x[]`` means "every element of list ``x``"; ``x[]`` as the *last* step
applies a list-length constraint to ``x`` itself when the member is a list shape.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mapped:
    path: str  # Pulumi input path
    service: str  # botocore service name
    shape: str  # request (or nested) shape
    member: str  # member (path) inside ``shape``


def _m(path: str, service: str, shape: str, member: str) -> Mapped:
    return Mapped(path, service, shape, member)


LAMBDA_FN = "CreateFunctionRequest"
TG = "CreateTargetGroupInput"
ALARM = "PutMetricAlarmInput"

MAPPING: dict[str, tuple[Mapped, ...]] = {
    "aws:acm/certificate:Certificate": (
        _m("domainName", "acm", "RequestCertificateRequest", "DomainName"),
        _m("validationMethod", "acm", "RequestCertificateRequest", "ValidationMethod"),
        _m("subjectAlternativeNames", "acm", "RequestCertificateRequest", "SubjectAlternativeNames"),
        _m("subjectAlternativeNames[]", "acm", "RequestCertificateRequest", "SubjectAlternativeNames[]"),
    ),
    "aws:apigateway/authorizer:Authorizer": (_m("type", "apigateway", "CreateAuthorizerRequest", "type"),),
    "aws:apigateway/domainName:DomainName": (
        _m("securityPolicy", "apigateway", "CreateDomainNameRequest", "securityPolicy"),
    ),
    "aws:apigateway/integration:Integration": (
        _m("type", "apigateway", "PutIntegrationRequest", "type"),
        _m("connectionType", "apigateway", "PutIntegrationRequest", "connectionType"),
    ),
    "aws:appautoscaling/policy:Policy": (
        _m("serviceNamespace", "application-autoscaling", "PutScalingPolicyRequest", "ServiceNamespace"),
        _m("scalableDimension", "application-autoscaling", "PutScalingPolicyRequest", "ScalableDimension"),
        _m("policyType", "application-autoscaling", "PutScalingPolicyRequest", "PolicyType"),
        _m("resourceId", "application-autoscaling", "PutScalingPolicyRequest", "ResourceId"),
    ),
    "aws:appautoscaling/target:Target": (
        _m("serviceNamespace", "application-autoscaling", "RegisterScalableTargetRequest", "ServiceNamespace"),
        _m("scalableDimension", "application-autoscaling", "RegisterScalableTargetRequest", "ScalableDimension"),
        _m("resourceId", "application-autoscaling", "RegisterScalableTargetRequest", "ResourceId"),
    ),
    "aws:autoscaling/group:Group": (
        _m("healthCheckType", "autoscaling", "CreateAutoScalingGroupType", "HealthCheckType"),
    ),
    "aws:autoscaling/policy:Policy": (
        _m("policyType", "autoscaling", "PutScalingPolicyType", "PolicyType"),
        _m("autoscalingGroupName", "autoscaling", "PutScalingPolicyType", "AutoScalingGroupName"),
    ),
    "aws:cloudfront/distribution:Distribution": (
        _m("priceClass", "cloudfront", "DistributionConfig", "PriceClass"),
        _m("httpVersion", "cloudfront", "DistributionConfig", "HttpVersion"),
        _m("defaultCacheBehavior.viewerProtocolPolicy", "cloudfront", "DefaultCacheBehavior", "ViewerProtocolPolicy"),
        _m("orderedCacheBehaviors[].viewerProtocolPolicy", "cloudfront", "CacheBehavior", "ViewerProtocolPolicy"),
        _m(
            "origins[].customOriginConfig.originProtocolPolicy",
            "cloudfront",
            "CustomOriginConfig",
            "OriginProtocolPolicy",
        ),
        _m("viewerCertificate.minimumProtocolVersion", "cloudfront", "ViewerCertificate", "MinimumProtocolVersion"),
        _m("viewerCertificate.sslSupportMethod", "cloudfront", "ViewerCertificate", "SSLSupportMethod"),
        _m("restrictions.geoRestriction.restrictionType", "cloudfront", "GeoRestriction", "RestrictionType"),
    ),
    "aws:cloudfront/originAccessControl:OriginAccessControl": (
        _m("signingProtocol", "cloudfront", "OriginAccessControlConfig", "SigningProtocol"),
        _m("signingBehavior", "cloudfront", "OriginAccessControlConfig", "SigningBehavior"),
        _m(
            "originAccessControlOriginType",
            "cloudfront",
            "OriginAccessControlConfig",
            "OriginAccessControlOriginType",
        ),
    ),
    "aws:cloudwatch/eventRule:EventRule": (
        _m("description", "events", "PutRuleRequest", "Description"),
        _m("eventPattern", "events", "PutRuleRequest", "EventPattern"),
        _m("name", "events", "PutRuleRequest", "Name"),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": (
        _m("retryPolicy.maximumRetryAttempts", "events", "RetryPolicy", "MaximumRetryAttempts"),
        _m("retryPolicy.maximumEventAgeInSeconds", "events", "RetryPolicy", "MaximumEventAgeInSeconds"),
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        _m("name", "logs", "CreateLogGroupRequest", "logGroupName"),
        _m("logGroupClass", "logs", "CreateLogGroupRequest", "logGroupClass"),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        _m("name", "cloudwatch", ALARM, "AlarmName"),
        _m("alarmDescription", "cloudwatch", ALARM, "AlarmDescription"),
        _m("alarmActions", "cloudwatch", ALARM, "AlarmActions"),
        _m("okActions", "cloudwatch", ALARM, "OKActions"),
        _m("insufficientDataActions", "cloudwatch", ALARM, "InsufficientDataActions"),
        _m("metricName", "cloudwatch", ALARM, "MetricName"),
        _m("namespace", "cloudwatch", ALARM, "Namespace"),
        _m("statistic", "cloudwatch", ALARM, "Statistic"),
        _m("comparisonOperator", "cloudwatch", ALARM, "ComparisonOperator"),
        _m("period", "cloudwatch", ALARM, "Period"),
        _m("evaluationPeriods", "cloudwatch", ALARM, "EvaluationPeriods"),
        _m("datapointsToAlarm", "cloudwatch", ALARM, "DatapointsToAlarm"),
        _m("treatMissingData", "cloudwatch", ALARM, "TreatMissingData"),
    ),
    "aws:cognito/userPool:UserPool": (
        _m("name", "cognito-idp", "CreateUserPoolRequest", "PoolName"),
        _m("mfaConfiguration", "cognito-idp", "CreateUserPoolRequest", "MfaConfiguration"),
        _m("userPoolTier", "cognito-idp", "CreateUserPoolRequest", "UserPoolTier"),
        _m("deletionProtection", "cognito-idp", "CreateUserPoolRequest", "DeletionProtection"),
        _m("passwordPolicy.minimumLength", "cognito-idp", "PasswordPolicyType", "MinimumLength"),
        _m(
            "passwordPolicy.temporaryPasswordValidityDays",
            "cognito-idp",
            "PasswordPolicyType",
            "TemporaryPasswordValidityDays",
        ),
        _m("emailConfiguration.emailSendingAccount", "cognito-idp", "EmailConfigurationType", "EmailSendingAccount"),
        _m("emailConfiguration.sourceArn", "cognito-idp", "EmailConfigurationType", "SourceArn"),
    ),
    "aws:cognito/userPoolClient:UserPoolClient": (
        _m("name", "cognito-idp", "CreateUserPoolClientRequest", "ClientName"),
        _m("accessTokenValidity", "cognito-idp", "CreateUserPoolClientRequest", "AccessTokenValidity"),
        _m("idTokenValidity", "cognito-idp", "CreateUserPoolClientRequest", "IdTokenValidity"),
        _m("preventUserExistenceErrors", "cognito-idp", "CreateUserPoolClientRequest", "PreventUserExistenceErrors"),
        _m("callbackUrls", "cognito-idp", "CreateUserPoolClientRequest", "CallbackURLs"),
        _m("logoutUrls", "cognito-idp", "CreateUserPoolClientRequest", "LogoutURLs"),
        _m("allowedOauthFlows", "cognito-idp", "CreateUserPoolClientRequest", "AllowedOAuthFlows"),
    ),
    "aws:cognito/userPoolDomain:UserPoolDomain": (
        _m("domain", "cognito-idp", "CreateUserPoolDomainRequest", "Domain"),
    ),
    "aws:dynamodb/table:Table": (
        _m("billingMode", "dynamodb", "CreateTableInput", "BillingMode"),
        _m("tableClass", "dynamodb", "CreateTableInput", "TableClass"),
        _m("streamViewType", "dynamodb", "StreamSpecification", "StreamViewType"),
        _m("attributes[].type", "dynamodb", "AttributeDefinition", "AttributeType"),
        _m("globalSecondaryIndexes[].projectionType", "dynamodb", "Projection", "ProjectionType"),
    ),
    "aws:ec2/eip:Eip": (_m("domain", "ec2", "AllocateAddressRequest", "Domain"),),
    "aws:ec2/flowLog:FlowLog": (
        _m("trafficType", "ec2", "CreateFlowLogsRequest", "TrafficType"),
        _m("logDestinationType", "ec2", "CreateFlowLogsRequest", "LogDestinationType"),
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": (
        _m("instanceType", "ec2", "RequestLaunchTemplateData", "InstanceType"),
        _m("metadataOptions.httpTokens", "ec2", "LaunchTemplateInstanceMetadataOptionsRequest", "HttpTokens"),
        _m("metadataOptions.httpEndpoint", "ec2", "LaunchTemplateInstanceMetadataOptionsRequest", "HttpEndpoint"),
        _m(
            "metadataOptions.instanceMetadataTags",
            "ec2",
            "LaunchTemplateInstanceMetadataOptionsRequest",
            "InstanceMetadataTags",
        ),
        _m("blockDeviceMappings[].ebs.volumeType", "ec2", "LaunchTemplateEbsBlockDeviceRequest", "VolumeType"),
        _m("tagSpecifications[].resourceType", "ec2", "LaunchTemplateTagSpecificationRequest", "ResourceType"),
    ),
    "aws:ec2/natGateway:NatGateway": (_m("connectivityType", "ec2", "CreateNatGatewayRequest", "ConnectivityType"),),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (_m("vpcEndpointType", "ec2", "CreateVpcEndpointRequest", "VpcEndpointType"),),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": (
        _m("policy", "ecr", "PutLifecyclePolicyRequest", "lifecyclePolicyText"),
    ),
    "aws:ecr/repository:Repository": (
        _m("name", "ecr", "CreateRepositoryRequest", "repositoryName"),
        _m("imageTagMutability", "ecr", "CreateRepositoryRequest", "imageTagMutability"),
        _m("encryptionConfigurations[].encryptionType", "ecr", "EncryptionConfiguration", "encryptionType"),
        _m("encryptionConfigurations[].kmsKey", "ecr", "EncryptionConfiguration", "kmsKey"),
    ),
    "aws:ecs/capacityProvider:CapacityProvider": (
        _m(
            "autoScalingGroupProvider.managedTerminationProtection",
            "ecs",
            "AutoScalingGroupProvider",
            "managedTerminationProtection",
        ),
        _m("autoScalingGroupProvider.managedDraining", "ecs", "AutoScalingGroupProvider", "managedDraining"),
        _m("autoScalingGroupProvider.managedScaling.status", "ecs", "ManagedScaling", "status"),
        _m("autoScalingGroupProvider.managedScaling.targetCapacity", "ecs", "ManagedScaling", "targetCapacity"),
        _m(
            "autoScalingGroupProvider.managedScaling.instanceWarmupPeriod",
            "ecs",
            "ManagedScaling",
            "instanceWarmupPeriod",
        ),
    ),
    "aws:ecs/service:Service": (
        _m("launchType", "ecs", "CreateServiceRequest", "launchType"),
        _m("propagateTags", "ecs", "CreateServiceRequest", "propagateTags"),
        _m("availabilityZoneRebalancing", "ecs", "CreateServiceRequest", "availabilityZoneRebalancing"),
        _m("schedulingStrategy", "ecs", "CreateServiceRequest", "schedulingStrategy"),
    ),
    "aws:ecs/taskDefinition:TaskDefinition": (
        _m("networkMode", "ecs", "RegisterTaskDefinitionRequest", "networkMode"),
        _m("requiresCompatibilities[]", "ecs", "RegisterTaskDefinitionRequest", "requiresCompatibilities[]"),
        _m("runtimePlatform.cpuArchitecture", "ecs", "RuntimePlatform", "cpuArchitecture"),
        _m("runtimePlatform.operatingSystemFamily", "ecs", "RuntimePlatform", "operatingSystemFamily"),
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        _m("transitEncryptionMode", "elasticache", "CreateReplicationGroupMessage", "TransitEncryptionMode"),
        _m("networkType", "elasticache", "CreateReplicationGroupMessage", "NetworkType"),
        _m("ipDiscovery", "elasticache", "CreateReplicationGroupMessage", "IpDiscovery"),
        _m("clusterMode", "elasticache", "CreateReplicationGroupMessage", "ClusterMode"),
        _m("userGroupIds", "elasticache", "CreateReplicationGroupMessage", "UserGroupIds"),
        _m("logDeliveryConfigurations[].logType", "elasticache", "LogDeliveryConfigurationRequest", "LogType"),
        _m("logDeliveryConfigurations[].logFormat", "elasticache", "LogDeliveryConfigurationRequest", "LogFormat"),
        _m(
            "logDeliveryConfigurations[].destinationType",
            "elasticache",
            "LogDeliveryConfigurationRequest",
            "DestinationType",
        ),
    ),
    "aws:elasticache/user:User": (
        _m("userId", "elasticache", "CreateUserMessage", "UserId"),
        _m("userName", "elasticache", "CreateUserMessage", "UserName"),
        _m("accessString", "elasticache", "CreateUserMessage", "AccessString"),
        _m("authenticationMode.type", "elasticache", "AuthenticationMode", "Type"),
    ),
    "aws:elasticache/userGroup:UserGroup": (
        _m("userIds", "elasticache", "CreateUserGroupMessage", "UserIds"),
        _m("engine", "elasticache", "CreateUserGroupMessage", "Engine"),
    ),
    "aws:iam/instanceProfile:InstanceProfile": (
        _m("name", "iam", "CreateInstanceProfileRequest", "InstanceProfileName"),
        _m("path", "iam", "CreateInstanceProfileRequest", "Path"),
    ),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": (
        _m("awsServiceName", "iam", "CreateServiceLinkedRoleRequest", "AWSServiceName"),
        _m("description", "iam", "CreateServiceLinkedRoleRequest", "Description"),
    ),
    "aws:iam/role:Role": (
        _m("name", "iam", "CreateRoleRequest", "RoleName"),
        _m("path", "iam", "CreateRoleRequest", "Path"),
        _m("description", "iam", "CreateRoleRequest", "Description"),
        _m("maxSessionDuration", "iam", "CreateRoleRequest", "MaxSessionDuration"),
        _m("assumeRolePolicy", "iam", "CreateRoleRequest", "AssumeRolePolicyDocument"),
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        _m("name", "iam", "PutRolePolicyRequest", "PolicyName"),
        _m("policy", "iam", "PutRolePolicyRequest", "PolicyDocument"),
    ),
    "aws:kms/alias:Alias": (_m("name", "kms", "CreateAliasRequest", "AliasName"),),
    "aws:kms/key:Key": (
        _m("description", "kms", "CreateKeyRequest", "Description"),
        _m("policy", "kms", "CreateKeyRequest", "Policy"),
        _m("keyUsage", "kms", "CreateKeyRequest", "KeyUsage"),
        _m("customerMasterKeySpec", "kms", "CreateKeyRequest", "KeySpec"),
        _m("deletionWindowInDays", "kms", "ScheduleKeyDeletionRequest", "PendingWindowInDays"),
    ),
    "aws:lambda/eventSourceMapping:EventSourceMapping": (
        _m("batchSize", "lambda", "CreateEventSourceMappingRequest", "BatchSize"),
        _m(
            "maximumBatchingWindowInSeconds",
            "lambda",
            "CreateEventSourceMappingRequest",
            "MaximumBatchingWindowInSeconds",
        ),
        _m("functionResponseTypes", "lambda", "CreateEventSourceMappingRequest", "FunctionResponseTypes"),
        _m("scalingConfig.maximumConcurrency", "lambda", "ScalingConfig", "MaximumConcurrency"),
    ),
    "aws:lambda/layerVersion:LayerVersion": (
        _m("layerName", "lambda", "PublishLayerVersionRequest", "LayerName"),
        _m("description", "lambda", "PublishLayerVersionRequest", "Description"),
        _m("compatibleRuntimes", "lambda", "PublishLayerVersionRequest", "CompatibleRuntimes"),
        _m("compatibleRuntimes[]", "lambda", "PublishLayerVersionRequest", "CompatibleRuntimes[]"),
        _m("compatibleArchitectures", "lambda", "PublishLayerVersionRequest", "CompatibleArchitectures"),
        _m("compatibleArchitectures[]", "lambda", "PublishLayerVersionRequest", "CompatibleArchitectures[]"),
    ),
    "aws:lambda/function:Function": (
        _m("name", "lambda", LAMBDA_FN, "FunctionName"),
        _m("runtime", "lambda", LAMBDA_FN, "Runtime"),
        _m("role", "lambda", LAMBDA_FN, "Role"),
        _m("handler", "lambda", LAMBDA_FN, "Handler"),
        _m("description", "lambda", LAMBDA_FN, "Description"),
        _m("timeout", "lambda", LAMBDA_FN, "Timeout"),
        _m("memorySize", "lambda", LAMBDA_FN, "MemorySize"),
        _m("architectures", "lambda", LAMBDA_FN, "Architectures"),
        _m("architectures[]", "lambda", LAMBDA_FN, "Architectures[]"),
        _m("ephemeralStorage.size", "lambda", "EphemeralStorage", "Size"),
        _m("tracingConfig.mode", "lambda", "TracingConfig", "Mode"),
        _m("loggingConfig.logFormat", "lambda", "LoggingConfig", "LogFormat"),
        _m("reservedConcurrentExecutions", "lambda", "PutFunctionConcurrencyRequest", "ReservedConcurrentExecutions"),
    ),
    "aws:lambda/permission:Permission": (
        _m("action", "lambda", "AddPermissionRequest", "Action"),
        _m("principal", "lambda", "AddPermissionRequest", "Principal"),
        _m("statementId", "lambda", "AddPermissionRequest", "StatementId"),
    ),
    "aws:lb/listener:Listener": (
        _m("protocol", "elbv2", "CreateListenerInput", "Protocol"),
        _m("port", "elbv2", "CreateListenerInput", "Port"),
        _m("defaultActions[].type", "elbv2", "Action", "Type"),
        _m("defaultActions[].redirect.statusCode", "elbv2", "RedirectActionConfig", "StatusCode"),
        _m("defaultActions[].redirect.protocol", "elbv2", "RedirectActionConfig", "Protocol"),
        _m("defaultActions[].fixedResponse.statusCode", "elbv2", "FixedResponseActionConfig", "StatusCode"),
        _m("defaultActions[].fixedResponse.messageBody", "elbv2", "FixedResponseActionConfig", "MessageBody"),
        _m("defaultActions[].fixedResponse.contentType", "elbv2", "FixedResponseActionConfig", "ContentType"),
    ),
    "aws:lb/listenerRule:ListenerRule": (
        _m("priority", "elbv2", "CreateRuleInput", "Priority"),
        _m("actions[].type", "elbv2", "Action", "Type"),
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        _m("loadBalancerType", "elbv2", "CreateLoadBalancerInput", "Type"),
        _m("ipAddressType", "elbv2", "CreateLoadBalancerInput", "IpAddressType"),
    ),
    "aws:lb/targetGroup:TargetGroup": (
        _m("protocol", "elbv2", TG, "Protocol"),
        _m("port", "elbv2", TG, "Port"),
        _m("targetType", "elbv2", TG, "TargetType"),
        _m("ipAddressType", "elbv2", TG, "IpAddressType"),
        _m("healthCheck.protocol", "elbv2", TG, "HealthCheckProtocol"),
        _m("healthCheck.path", "elbv2", TG, "HealthCheckPath"),
        _m("healthCheck.interval", "elbv2", TG, "HealthCheckIntervalSeconds"),
        _m("healthCheck.timeout", "elbv2", TG, "HealthCheckTimeoutSeconds"),
        _m("healthCheck.healthyThreshold", "elbv2", TG, "HealthyThresholdCount"),
        _m("healthCheck.unhealthyThreshold", "elbv2", TG, "UnhealthyThresholdCount"),
    ),
    "aws:rds/instance:Instance": (
        _m("databaseInsightsMode", "rds", "CreateDBInstanceMessage", "DatabaseInsightsMode"),
    ),
    "aws:route53/healthCheck:HealthCheck": (
        _m("type", "route53", "HealthCheckConfig", "Type"),
        _m("insufficientDataHealthStatus", "route53", "HealthCheckConfig", "InsufficientDataHealthStatus"),
        _m("referenceName", "route53", "CreateHealthCheckRequest", "CallerReference"),
        _m("failureThreshold", "route53", "HealthCheckConfig", "FailureThreshold"),
        _m("requestInterval", "route53", "HealthCheckConfig", "RequestInterval"),
    ),
    "aws:route53/record:Record": (
        _m("type", "route53", "ResourceRecordSet", "Type"),
        _m("name", "route53", "ResourceRecordSet", "Name"),
        _m("ttl", "route53", "ResourceRecordSet", "TTL"),
        _m("setIdentifier", "route53", "ResourceRecordSet", "SetIdentifier"),
        _m("failoverRoutingPolicies[].type", "route53", "ResourceRecordSet", "Failover"),
    ),
    "aws:s3/bucketObjectv2:BucketObjectv2": (_m("key", "s3", "PutObjectRequest", "Key"),),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        _m("rule.objectOwnership", "s3", "OwnershipControlsRule", "ObjectOwnership"),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": (
        _m("versioningConfiguration.status", "s3", "VersioningConfiguration", "Status"),
    ),
    "aws:secretsmanager/secret:Secret": (
        _m("name", "secretsmanager", "CreateSecretRequest", "Name"),
        _m("description", "secretsmanager", "CreateSecretRequest", "Description"),
        _m("kmsKeyId", "secretsmanager", "CreateSecretRequest", "KmsKeyId"),
    ),
    "aws:servicediscovery/httpNamespace:HttpNamespace": (
        _m("name", "servicediscovery", "CreateHttpNamespaceRequest", "Name"),
        _m("description", "servicediscovery", "CreateHttpNamespaceRequest", "Description"),
    ),
    "aws:wafv2/webAcl:WebAcl": (
        _m("name", "wafv2", "CreateWebACLRequest", "Name"),
        _m("scope", "wafv2", "CreateWebACLRequest", "Scope"),
        _m("description", "wafv2", "CreateWebACLRequest", "Description"),
    ),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
        _m("logDestinationConfigs", "wafv2", "LoggingConfiguration", "LogDestinationConfigs"),
    ),
}

# Resource types of the stacks with no input that feeds a constrained botocore member, and why.
_REFS = "only ids/ARNs of other resources of the stack (validated where those are created)"
NO_CONSTRAINED_INPUTS: dict[str, str] = {
    "aws:acm/certificateValidation:CertificateValidation": "no API call: a provider-side waiter over the record FQDNs",
    "aws:apigateway/account:Account": "UpdateAccount patch operations carry no constrained member",
    "aws:apigateway/basePathMapping:BasePathMapping": "basePath/stage members are unconstrained strings",
    "aws:apigateway/deployment:Deployment": _REFS,
    "aws:apigateway/method:Method": "httpMethod/authorizationType are unconstrained strings in the model",
    "aws:apigateway/methodSettings:MethodSettings": "UpdateStage patch operations carry no constrained member",
    "aws:apigateway/resource:Resource": "pathPart is an unconstrained string in the model",
    "aws:apigateway/restApi:RestApi": "name/description are unconstrained; endpoint types are list of plain enum "
    "strings checked by the provider",
    "aws:apigateway/stage:Stage": "stageName/format are unconstrained; cacheClusterSize is not set",
    "aws:apigateway/vpcLink:VpcLink": "name/targetArns are unconstrained strings in the model",
    "aws:cognito/managedLoginBranding:ManagedLoginBranding": "userPoolId/clientId are the stack's own pool and "
    "client (ids AWS returns); useCognitoProvidedValues is a boolean",
    "aws:cloudfront/cachePolicy:CachePolicy": "CachePolicyConfig members carry no enum/length/range in the model",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": "no constrained member among the inputs used",
    "aws:cloudwatch/dashboard:Dashboard": "PutDashboard members carry no constraint in the model",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _REFS,
    "aws:ec2/internetGateway:InternetGateway": _REFS,
    "aws:ec2/route:Route": _REFS + "; destination CIDR is an unconstrained string",
    "aws:ec2/routeTable:RouteTable": _REFS,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _REFS,
    "aws:ec2/securityGroup:SecurityGroup": "EC2 members are unconstrained in the model; the description character "
    "set and 255 limit are prose (rule aws-ec2-description-charset)",
    "aws:ec2/subnet:Subnet": "CreateSubnet members are unconstrained strings in the model",
    "aws:ec2/vpc:Vpc": "CreateVpc members are unconstrained strings in the model",
    "aws:ecs/cluster:Cluster": "setting names are an enum only for the value 'containerInsights' (checked by the "
    "provider)",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": _REFS,
    "aws:elasticache/parameterGroup:ParameterGroup": "CreateCacheParameterGroup members are unconstrained strings",
    "aws:elasticache/subnetGroup:SubnetGroup": "CreateCacheSubnetGroup members are unconstrained strings",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _REFS,
    "aws:rds/parameterGroup:ParameterGroup": "CreateDBParameterGroup members are unconstrained strings",
    "aws:rds/subnetGroup:SubnetGroup": "CreateDBSubnetGroup members are unconstrained strings",
    "aws:route53/zone:Zone": "name/comment limits are prose; the inputs used are short literals",
    "aws:s3/bucket:Bucket": "auto-named; S3 naming rules are prose (rule aws-name-limits)",
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": "CORSRule members are unconstrained in the model",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "only referenced bucket + rule blocks "
    "whose members are unconstrained",
    "aws:s3/bucketNotification:BucketNotification": "event names are an enum of the model, but the provider "
    "sends them as given; the inputs used are the documented s3:ObjectCreated:*",
    "aws:s3/bucketPolicy:BucketPolicy": "Policy is an unconstrained string in the S3 model",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "booleans only",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _REFS,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "sseAlgorithm is "
    "checked by the encryption pillar; other members are references",
    "aws:secretsmanager/secretVersion:SecretVersion": "secret value is a secret output (never inspected)",
    "aws:sns/topic:Topic": "CreateTopic members are unconstrained strings in the model",
    "aws:sns/topicPolicy:TopicPolicy": "attribute values are unconstrained strings in the model",
    "aws:sns/topicSubscription:TopicSubscription": "protocol/endpoint are unconstrained strings in the model",
    "aws:sqs/queue:Queue": "queue attributes are a string map in the model; limits are prose (rule "
    "aws-sqs-visibility-covers-lambda)",
    "aws:sqs/queuePolicy:QueuePolicy": "attribute values are unconstrained strings in the model",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "attribute values are unconstrained strings in the model",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "EC2 members are unconstrained; description "
    "character set is prose (rule aws-ec2-description-charset)",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "EC2 members are unconstrained; description "
    "character set is prose (rule aws-ec2-description-charset)",
    "aws:wafv2/webAclAssociation:WebAclAssociation": _REFS,
}
