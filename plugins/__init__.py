"""The gate plugins shipped with gatenet, installed as `gatenet_plugins` and found by entry point."""
