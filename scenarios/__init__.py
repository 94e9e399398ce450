"""The shipped scenarios: ``config.yaml``, the worlds in ``world/`` and the policies in ``policy/`` (package data)."""
