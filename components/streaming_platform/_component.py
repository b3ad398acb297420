"""The shared base of every component: child options, tags, and where the component runs.

Each component used to repeat the same three helpers (``_tags``, ``_opts`` and the account,
partition and region look-ups). They live here once:

* ``child()`` / ``stateful()``: options for a child, ``parent=self``; stateful children are also
  protected and retained on delete when the component was built with ``protect=True`` (a data store
  is never silently deleted in prod).
* ``moved_from``: the resource a part's children were parented to before the part existed; every child
  that existed then carries ``Alias(parent=moved_from)`` so a deployed stack adopts it instead of replacing
  it. A child added since (``child(new=True)``) has no earlier URN, so it carries no alias.
* ``tags(name)``: the caller's tags plus ``Name``; ``log_group(...)``: an encrypted, stateful log group.
* ``account``, ``partition``, ``region``: invoked once per component, lazily, with ``parent=self``
  so they use the component's provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import pulumi
import pulumi_aws as aws


class StreamingComponent(pulumi.ComponentResource):
    """A ``ComponentResource`` with the platform's child options and tags.

    ``protect``: protect (and retain on delete) the stateful children. ``tags``: applied to every
    taggable child, with ``Name`` added per child.
    """

    def __init__(
        self,
        type_token: str,
        name: str,
        *,
        protect: bool = False,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        super().__init__(type_token, name, None, opts)
        self._name = name
        self._protect_stateful = protect  # not `_protect`: pulumi.Resource passes that on to every child
        self._child_tags = dict(tags or {})
        self._moved_from = moved_from

    def _with_alias(self, kwargs: dict[str, Any], new: bool) -> dict[str, Any]:
        if self._moved_from is not None and not new:
            kwargs.setdefault("aliases", [pulumi.Alias(parent=self._moved_from)])
        return kwargs

    def child(self, *, new: bool = False, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a child: ``parent=self`` merged with ``kwargs`` (``depends_on``, ``provider``, ...).
        ``new``: the child did not exist under ``moved_from`` (added since the move), so it gets no alias to a URN
        that never existed. Default: off, the child moved and is aliased when ``moved_from`` is given."""
        return pulumi.ResourceOptions(parent=self, **self._with_alias(kwargs, new))

    def stateful(self, *, retain: bool = True, new: bool = False, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a child that holds data: protected, and retained on delete unless ``retain=False``, when
        ``protect`` is on. ``retain=False`` is for copies (read replicas): deleting one is a deliberate unprotect
        away, and retaining it would leave a running instance outside the stack. ``new`` as for ``child``."""
        return pulumi.ResourceOptions(
            parent=self,
            protect=self._protect_stateful,
            retain_on_delete=self._protect_stateful and retain,
            **self._with_alias(kwargs, new),
        )

    def log_group(
        self,
        resource_name: str,
        *,
        kms_key_arn: pulumi.Input[str],
        retention_days: int,
        group_name: str | None = None,
        new: bool = False,
    ) -> aws.cloudwatch.LogGroup:
        """A log group encrypted with ``kms_key_arn`` (its policy must admit logs.<region>.amazonaws.com) that keeps
        ``retention_days``; stateful, so protected and retained with ``protect``. ``group_name``: Default: None, a
        generated name. ``new`` as for ``child``."""
        return aws.cloudwatch.LogGroup(
            resource_name,
            name=group_name,
            retention_in_days=retention_days,
            kms_key_id=kms_key_arn,
            tags=self.tags(resource_name),
            opts=self.stateful(new=new),
        )

    def tags(self, name_tag: str, **extra: str) -> dict[str, str]:
        """The caller's tags, ``Name`` and ``extra``."""
        return {**self._child_tags, "Name": name_tag, **extra}

    @cached_property
    def _invoke(self) -> pulumi.InvokeOutputOptions:
        return pulumi.InvokeOutputOptions(parent=self)

    @cached_property
    def account(self) -> pulumi.Output[str]:
        return aws.get_caller_identity_output(opts=self._invoke).account_id

    @cached_property
    def partition(self) -> pulumi.Output[str]:
        return aws.get_partition_output(opts=self._invoke).partition

    @cached_property
    def region(self) -> pulumi.Output[str]:
        return aws.get_region_output(opts=self._invoke).region


def reject_invalid(args_name: str, problems: Sequence[str]) -> None:
    """Raise one ValueError naming every problem of ``args_name`` (a component's ``*Args``), if there are any."""
    if problems:
        raise ValueError(f"invalid {args_name}:\n" + "\n".join(f"  - {p}" for p in problems))
