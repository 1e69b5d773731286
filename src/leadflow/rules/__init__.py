"""Automation rules: "when an event [with a filter] then actions", outside workflows.

``spec`` checks a rule, ``actions`` holds the built-in action kinds, ``evaluate`` plans the
firings of a batch of events (the dry run and the real run are that one plan), ``apply`` writes
them exactly once, ``observer`` is how the workers evaluate each new event, ``draft`` turns a
sentence into a rule. See docs/rules.md.
"""
