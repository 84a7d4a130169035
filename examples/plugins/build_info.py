"""Example plugin 1: a virtual module with facts about the build.

    import { version, builtAt } from 'virtual:build-info'
"""

import json
import time

from prebundle import virtual_module


def build_info(version: str):
    """``virtual:build-info`` exports the app version and the time the module was loaded."""
    return virtual_module(
        "build-info",
        lambda: f"export const version = {json.dumps(version)};\n"
        f"export const builtAt = {json.dumps(time.strftime('%Y-%m-%dT%H:%M:%S'))};\n",
    )
