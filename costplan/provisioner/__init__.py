"""Plan -> instance pools (and services) through the API: preview, apply, wait, resume, destroy.

```
provisioner = Provisioner(client, journal_dir=default_journal_dir(settings.data_dir))
plan = load_plan("plan.json")                      # InputError if malformed or tampered
print(provisioner.preview(plan, environment_uuid).summary())
provisioner.apply(plan, environment_uuid).raise_for_failures()
```

The reliability rules `apply` follows, in order:

1. **Validate before any write.** `check_plan` refuses a tampered plan (count_min > count_max,
   a pool's cost != count_min x unit price, the total != the sum of the pools);
   `Provisioner.inspect` refuses one whose providers or instance types are gone. Reads only.
2. **Names and owner markers are identities.** Pools and services carry the plan's names and
   the marker of the plan and environment that own them (`ownership`: a pool tag, a service's
   `COSTPLAN_OWNER` variable; the plan id is `--plan-id`, else `plan.name`, else a hash of the
   plan's service names). Only listed objects with our marker and the name are ours: nothing is
   created while one is live, and nothing without the marker is adopted, updated, re-constrained
   or deleted (a same-name one is a conflict in the preview, so two plans share an environment).
3. **Every write is journalled** (`costplan.journal`): an fsync'd `intent` before the call, its
   outcome after; one run per environment at a time (a file lock).
4. **Reconcile, never re-POST blindly.** After a create whose outcome is unknown (read timeout,
   502/504: `outcome_unknown`), a 409, or an intent a killed run left in doubt, the resources are
   listed again (with pauses) and one with that name is adopted; only one confirmed absent is
   created again. A 2xx answer to a POST that is not a parsed object with a uuid counts as
   unknown too. A final listing checks each name of ours is live exactly once; extra copies
   (possible on an API without unique names, or with two operators) are deleted, and every
   machine keeps the same one: the oldest `createdAt`, then the smallest uuid. Pools and
   services alike; the journal records what was adopted.
5. **Failed pools are replaced, not patched.** A pool whose status reports an error is deleted,
   its disappearance confirmed, then created again: a PUT of the same values would not make the
   provider retry, and delete-first means two live pools never share a name.
6. **Ctrl-C stops after the call in flight** (`request_stop`), and every state is resumed by
   running the same command again.
7. **Services go where the plan's simulation put them.** They are created once every pool is
   ready, one by one in `plans.submission_order` (pinned to providers first, then spread ones,
   then the largest replica first), each restricted to the plan pools the simulation let it use
   (`service_pools`): the platform's scheduler then makes the placement the plan's nodes show.
   A service follows its pools: when one was recreated (new uuid), the service's
   `constraints.instancePoolUuids` are PUT before it is waited on, and checked by listing.
"""

from __future__ import annotations

from costplan.journal import default_journal_dir as default_journal_dir
from costplan.provisioner.bodies import pool_body as pool_body
from costplan.provisioner.bodies import service_body as service_body
from costplan.provisioner.checks import check_plan as check_plan
from costplan.provisioner.checks import load_plan as load_plan
from costplan.provisioner.checks import service_pools as service_pools
from costplan.provisioner.engine import Provisioner as Provisioner
from costplan.provisioner.prices import PriceBook as PriceBook
from costplan.provisioner.prices import monthly_price as monthly_price
from costplan.provisioner.reader import EnvironmentReader as EnvironmentReader
from costplan.provisioner.results import PoolChange as PoolChange
from costplan.provisioner.results import Preview as Preview
from costplan.provisioner.results import ProgressEvent as ProgressEvent
from costplan.provisioner.results import ResourceResult as ResourceResult
from costplan.provisioner.results import RunResult as RunResult
from costplan.provisioner.settings import PoolDefaults as PoolDefaults
from costplan.provisioner.settings import reconcile_delays as reconcile_delays
from costplan.provisioner.settings import waiter_config as waiter_config
from costplan.provisioner.status import EnvironmentStatus as EnvironmentStatus
from costplan.provisioner.status import environment_status as environment_status

__all__ = sorted(
    [
        "EnvironmentReader",
        "EnvironmentStatus",
        "PoolChange",
        "PoolDefaults",
        "Preview",
        "PriceBook",
        "ProgressEvent",
        "Provisioner",
        "ResourceResult",
        "RunResult",
        "check_plan",
        "default_journal_dir",
        "environment_status",
        "load_plan",
        "monthly_price",
        "pool_body",
        "reconcile_delays",
        "service_body",
        "service_pools",
        "waiter_config",
    ]
)
