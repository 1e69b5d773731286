"""AI task orchestration: batches of AI tasks (compose, classify, summarise, draft a workflow or
a campaign) with priorities and dependencies, run durably by the workers. See docs/ai.md."""
