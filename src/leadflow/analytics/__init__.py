"""Analytics over the store's read side: closed deals, funnels per workflow, version and node,
revenue attribution and agent performance."""
