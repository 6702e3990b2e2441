"""A LayerOps-compatible API emulator, for development and tests without an account.

It implements the documented endpoints with the documented JSON shapes, keeps state (in
memory, or in a JSON file shared by several processes), moves instance pools through a
lifecycle to ``DONE``, places service replicas Nomad-style, and injects faults on demand.
Its demo catalogue mixes real price data (Google Cloud, Exoscale) with illustrative rows
(see ``data/NOTICE``).

This package imports nothing else from costplan, so it cannot share a bug with the client.

```python
from costplan.emulator import EmulatorConfig, serve_in_thread

with serve_in_thread(EmulatorConfig(provision_seconds=0)) as emulator:
    print(emulator.base_url)  # http://127.0.0.1:PORT/v1
```
"""

from __future__ import annotations

from costplan.emulator.app import create_app
from costplan.emulator.clock import ManualClock
from costplan.emulator.config import ENV_PREFIX, EXAMPLE_KEY_ID, EmulatorConfig, hash_key
from costplan.emulator.server import RunningEmulator, run, serve_in_thread

__all__ = [
    "ENV_PREFIX",
    "EXAMPLE_KEY_ID",
    "EmulatorConfig",
    "ManualClock",
    "RunningEmulator",
    "create_app",
    "hash_key",
    "run",
    "serve_in_thread",
]
