"""Playbooks: the eight real-estate plays as parameterised workflow templates, and what they
need from the engine: tasks for people (``notify_agent``), lead routing (``assign_owner``) and
area market figures (``market_report``).

- :mod:`.params`: parameter declarations and their checking;
- :mod:`.catalog`: the templates shipped in ``plays/`` and filling one in;
- :mod:`.diagram`: a Mermaid flowchart drawn from a definition;
- :mod:`.tasks`, :mod:`.routing`, :mod:`.market`: the node handlers; :mod:`.plugin` installs them.
"""
