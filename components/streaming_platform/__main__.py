"""``python -m streaming_platform <engine address>``: the component provider (see ``streaming_platform.provider``).

The Pulumi CLI runs ``python -m pulumi.run.plugin streaming-platform <engine address>`` for the plugin in
``components/`` (``PulumiPlugin.yaml``); that finds no component classes in the lazily-importing package and runs
this module instead.
"""

from streaming_platform.provider import main

if __name__ == "__main__":
    main()
