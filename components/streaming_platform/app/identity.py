"""Identity: the Cognito user pool, its web client (authorization code + PKCE, no secret), the hosted domain
and the client's managed login branding.

Managed login (``managed_login_version=2``) serves a client's sign-in pages only once a branding style is
assigned to that client; without one the domain answers "Login pages unavailable" (Amazon Cognito Developer
Guide, "Managed login": "apply a branding style to an app client"). The web client gets Cognito's default style
(``use_cognito_provided_values``), which the branding editor can change later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from streaming_platform.app.common import AppPart, CognitoMfa, raise_problems

MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class IdentityOptions:
    """Plain settings of the user pool."""

    cognito_mfa: CognitoMfa = CognitoMfa.ON
    """Default: ON, every user enrols a TOTP app; OPTIONAL lets users skip it, OFF turns TOTP off."""
    advanced_security_enforced: bool = True
    """Cognito threat protection (Plus tier) in ENFORCED mode. Default: on. Off uses the Essentials tier
    (cheaper, no compromised-credential or risky sign-in checks)."""
    min_password_length: int = MIN_PASSWORD_LENGTH
    """Default: 12, the least allowed here; Cognito itself accepts 6 to 99."""
    callback_urls: Sequence[str] = ()
    """OAuth callback URLs of the web client. Default: ``https://<domain>/auth/callback``."""
    logout_urls: Sequence[str] = ()
    """Default: ``https://<domain>/``."""
    auth_domain_prefix: str | None = None
    """Cognito hosted-UI domain prefix (globally unique). Default: ``<resource_prefix>-auth``."""
    ses_sender: str | None = None
    """From address of the pool's mail, sent through SES (``DEVELOPER``) in the stack's region, with the address's
    domain as the SES identity; that identity must be verified first (``make preflight`` checks it). Default:
    None, Cognito's own sender (``COGNITO_DEFAULT``), whose daily limit is below production volume (Amazon Cognito
    API Reference, EmailConfigurationType)."""

    def problems(self) -> list[str]:
        problems = []
        if not MIN_PASSWORD_LENGTH <= self.min_password_length <= 99:
            problems.append(
                f"IdentityOptions.min_password_length: got {self.min_password_length}; "
                f"allowed: at least {MIN_PASSWORD_LENGTH} (Cognito's maximum is 99)"
            )
        if self.ses_sender is not None and (self.ses_sender.count("@") != 1 or not self.ses_sender.split("@")[1]):
            problems.append(
                f"IdentityOptions.ses_sender: got {self.ses_sender!r}; allowed: an address such as "
                "no-reply@video.example.com, or None for Cognito's default sender"
            )
        return problems

    @property
    def ses_identity(self) -> str | None:
        """The SES identity the pool sends from: the sender address's domain."""
        return self.ses_sender.split("@", 1)[1] if self.ses_sender else None


@dataclass
class IdentityArgs:
    domain_name: str
    """The site's domain: the default callback and logout URLs are on it."""
    options: IdentityOptions = field(default_factory=IdentityOptions)
    """Default: ``IdentityOptions()`` (MFA on, threat protection enforced, 12-character passwords)."""
    resource_prefix: str = "streaming"
    """Prefix of the pool's, the client's and the default hosted domain's names. Default: ``streaming``."""
    protect: bool = False
    """Protect and retain the pool and turn on its deletion protection. Default: off (dev can be torn down)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the pool, with ``Name`` added. Default: none."""


class Identity(AppPart):
    """User pool, web client and hosted domain."""

    user_pool_id: pulumi.Output[str]
    user_pool_arn: pulumi.Output[str]
    user_pool_client_id: pulumi.Output[str]
    user_pool_domain: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: IdentityArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        raise_problems("IdentityArgs", args.options.problems())
        super().__init__(
            "streaming:app:Identity", name, protect=args.protect, tags=args.tags, moved_from=moved_from, opts=opts
        )
        options, domain = args.options, args.domain_name
        mfa_on = options.cognito_mfa is not CognitoMfa.OFF
        enforced = options.advanced_security_enforced
        pool = aws.cognito.UserPool(
            f"{name}-users",
            name=f"{args.resource_prefix}-users",
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            username_configuration={"case_sensitive": False},
            password_policy={
                "minimum_length": options.min_password_length,
                "require_lowercase": True,
                "require_uppercase": True,
                "require_numbers": True,
                "require_symbols": True,
                "temporary_password_validity_days": 3,
            },
            mfa_configuration=options.cognito_mfa.value,
            software_token_mfa_configuration={"enabled": True} if mfa_on else None,
            user_pool_tier="PLUS" if enforced else "ESSENTIALS",
            user_pool_add_ons={"advanced_security_mode": "ENFORCED"} if enforced else None,
            account_recovery_setting={"recovery_mechanisms": [{"name": "verified_email", "priority": 1}]},
            email_configuration=self._email(options),
            deletion_protection="ACTIVE" if args.protect else "INACTIVE",
            tags=self.tags(f"{name}-users"),
            opts=self.stateful(),
        )
        client = aws.cognito.UserPoolClient(
            f"{name}-web-client",
            user_pool_id=pool.id,
            name=f"{args.resource_prefix}-web",
            # A browser app cannot keep a secret: a public client, authorization code flow with PKCE.
            generate_secret=False,
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_flows=["code"],
            allowed_oauth_scopes=["openid", "email", "profile"],
            supported_identity_providers=["COGNITO"],
            callback_urls=list(options.callback_urls) or [f"https://{domain}/auth/callback"],
            logout_urls=list(options.logout_urls) or [f"https://{domain}/"],
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=60,
            id_token_validity=60,
            refresh_token_validity=30,
            token_validity_units={"access_token": "minutes", "id_token": "minutes", "refresh_token": "days"},
            opts=self.child(),
        )
        hosted = aws.cognito.UserPoolDomain(
            f"{name}-auth-domain",
            domain=options.auth_domain_prefix or f"{args.resource_prefix}-auth",
            user_pool_id=pool.id,
            managed_login_version=2,
            opts=self.child(),
        )
        aws.cognito.ManagedLoginBranding(
            f"{name}-web-branding",
            user_pool_id=pool.id,
            client_id=client.id,
            use_cognito_provided_values=True,
            opts=self.child(new=True),  # new after 0.1: no earlier URN to alias
        )
        self.user_pool_id, self.user_pool_arn = pool.id, pool.arn
        self.user_pool_client_id, self.user_pool_domain = client.id, hosted.domain
        self.register_outputs(
            {
                "userPoolId": self.user_pool_id,
                "userPoolArn": self.user_pool_arn,
                "userPoolClientId": self.user_pool_client_id,
                "userPoolDomain": self.user_pool_domain,
            }
        )

    def _email(self, options: IdentityOptions) -> aws.cognito.UserPoolEmailConfigurationArgsDict | None:
        """SES in the stack's region for a configured sender; otherwise None (Cognito's default sender)."""
        if options.ses_identity is None:
            return None
        identity = options.ses_identity
        return {
            "email_sending_account": "DEVELOPER",
            "from_email_address": options.ses_sender,
            "source_arn": pulumi.Output.all(self.partition, self.region, self.account).apply(
                lambda a: f"arn:{a[0]}:ses:{a[1]}:{a[2]}:identity/{identity}"
            ),
        }
