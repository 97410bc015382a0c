"""Behind webhooks.py: verify a GitHub delivery, map its event to the running hotfixes it concerns,
nudge them with a `recheck` signal. It holds no GitHub credentials; a webhook is only ever a nudge."""
