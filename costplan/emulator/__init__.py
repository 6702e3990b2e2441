"""A LayerOps-compatible API emulator, for development and tests without an account.

It implements the documented endpoints with the documented JSON shapes, keeps state (in
memory, or in a JSON file shared by several processes), moves instance pools through a
lifecycle to ``DONE``, places service replicas Nomad-style, and injects faults on demand.
Its demo catalogue mixes real price data (Google Cloud, Exoscale) with illustrative rows
(see ``data/NOTICE``).

This package imports nothing else from costplan, so it cannot share a bug with the client.

Where the documentation leaves a choice, the emulator makes it once, here:

- **The documentation's curl commands work verbatim** (host changed): the example key is
  accepted unless ``api_keys`` / ``api_key_hashes`` name others, and the objects the document
  creates get the document's uuids the first time (``seed.DOCUMENTED_UUIDS``).
- **Two readings of DONE** (``done_reading``, ``COSTPLAN_EMULATOR_DONE_READING``): the document
  shows a pool ``DONE`` with ``count`` 1, ``countRunning`` 0 and every total 0, asked with
  ``includeMetrics=false``. ``metrics`` (default): DONE once every instance runs, and without
  ``includeMetrics=true`` countRunning and the totals are 0. ``early``: DONE as soon as the
  pool is accepted, while its instances still boot; counts are always real.
- **Deleted objects**: every read (the object, its status, its events) answers 200 with
  ``deletedAt`` set; every write (PUT, DELETE, a POST creating something in it) answers 404
  "... was deleted", as for an unknown id.
- **Errors** use NestJS's shape; a 400 lists every violation (``message`` is a list of strings).
  Bodies are refused when they break a rule (type, range, required field, a service without
  an image, a PUT without a recognised field, ``NaN``/``Infinity``, which are not JSON).
- ``GET /environments/{uuid}/analyze`` exists (the third-party client uses it) but its shape is
  undocumented: it answers 501 rather than invent one.

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
