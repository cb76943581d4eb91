"""Hypothesis settings profiles, picked with the `HYPOTHESIS_PROFILE` environment variable.

- `default`: a modest number of examples so the whole suite stays fast;
- `ci`: more examples, for a scheduled or pre-release run;
- `dev`: a quick smoke run while editing.

None has a deadline (a capture's time depends on the machine, not on the property), and the `too_slow`
health check is off: the strategies build real stores, which is slow by design.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

for name, examples in (("default", 50), ("ci", 500), ("dev", 10)):
    settings.register_profile(
        name,
        max_examples=examples,
        deadline=None,
        suppress_health_check=(HealthCheck.too_slow,),
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
