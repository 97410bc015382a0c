"""A local, stateful, git-backed GitHub REST API server that PyGithub drives like GitHub Enterprise Server."""
