"""Stage 4, analyze: parse every runtime expression and criterion, infer the
Python type of every output, decide the control flow of every workflow, and
produce the plan (plan.py) that the templates print.

Control flow comes in two shapes:

* sequential: steps run in order.  A loop (a ``goto`` back to an earlier step or
  to the step itself, or a ``retry``) becomes an inline ``while True`` around the
  steps it repeats; every repetition goes through ``deadline.sleep``, which
  bounds it by the timeout and ``MAX_ITERATIONS``.  Loops must be disjoint.
* state machine: any other goto graph (a forward jump past the next step, loops
  that nest or cross, a retry that first runs another step, a step reading the
  outputs of a step that has not run yet) becomes ``match step:`` inside one
  ``for`` loop bounded by ``_runtime.MAX_ITERATIONS``.

Workflows call each other (dependsOn, workflowId steps, goto/retry to a
workflow) as plain function calls; a cycle among those calls is a compile-time
error, so nothing recurses.

The stage is split by concern into these modules: module (the document),
workflow (one workflow's state and names), workflow_inputs, actions, security,
control_flow, outputs, steps, body (the function body), and for runtime
expressions context (ExprContext), values, references, requests, criteria;
common holds the shared records and helpers.
"""
