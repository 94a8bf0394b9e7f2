"""moto's server for the deploy rehearsal, run in the rehearsal's own venv
(`.cache/rehearsal/bin/python loyalty_tools/stack/moto_server.py -p PORT`), with two gaps of
moto 5.2.5 mended as CloudFormation behaves:

- a stack made by executing a change set (how `loyalty deploy` creates one) never gets its
  outputs: moto works them out only in `create_stack` and `update_stack`. Here they are worked
  out once the change set has made the resources.
- `Ref` of an `AWS::Events::EventBus` is its name; moto's bus has no physical id, so the
  reference gives the bus object itself and a function whose environment names the bus cannot
  be described (a 500).
"""

from __future__ import annotations

import sys

from moto.cloudformation.models import ChangeSet  # type: ignore[import-not-found,unused-ignore]
from moto.cloudformation.parsing import OutputMap  # type: ignore[import-not-found,unused-ignore]
from moto.events.models import EventBus  # type: ignore[import-not-found,unused-ignore]
from moto.server import main  # type: ignore[import-not-found,unused-ignore]

_apply = ChangeSet.apply


def _apply_then_outputs(self: ChangeSet) -> None:
    _apply(self)
    # the change set's template: the stack takes it as its own only after this returns
    self.stack.output_map = OutputMap(
        self.stack.resource_map, self.template_dict, self.stack.stack_id
    )


ChangeSet.apply = _apply_then_outputs  # type: ignore[method-assign,unused-ignore]
setattr(EventBus, "physical_resource_id", property(lambda bus: bus.name))  # noqa: B010

if __name__ == "__main__":
    main(sys.argv[1:])
