"""The embedded local default: the dev stack, the demo and its humans.

Never imported by production code.
"""
