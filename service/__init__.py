"""Process plumbing the entry points share: reaching Temporal, logging set-up."""
