"""The starter's commands and their Rich views; starter.py is the entry point."""
