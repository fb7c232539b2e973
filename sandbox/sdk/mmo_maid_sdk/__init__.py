"""``mmo_maid_sdk``: the import name plugins and the SDK's reference examples use.

An alias of ``serverless_sdk``, not a copy: both names resolve to the same
module objects, so ``isinstance`` checks and registrations agree whichever
name a plugin imports. Submodules alias too (``mmo_maid_sdk.components`` is
``serverless_sdk.components``).
"""

from __future__ import annotations

import sys

import serverless_sdk
from serverless_sdk import *  # noqa: F401,F403
from serverless_sdk import __all__, __version__  # noqa: F401
from serverless_sdk import components, context, cron, errors, plugin, rpc, runner

for _name, _module in {
    "components": components,
    "context": context,
    "cron": cron,
    "errors": errors,
    "plugin": plugin,
    "rpc": rpc,
    "runner": runner,
}.items():
    sys.modules[f"{__name__}.{_name}"] = _module
del _name, _module
