"""State and rules per API area (moto's models): what each resource is, how it changes, what GitHub refuses.

No HTTP here: `sandbox.api` parses a request, calls these, and renders the answer with `sandbox.views`.
"""
