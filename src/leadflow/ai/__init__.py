"""AI drafting: workflows from a sentence, by a deterministic planner or an OpenAI-compatible
model, always validated (and simulated by the caller) before anyone publishes them."""
