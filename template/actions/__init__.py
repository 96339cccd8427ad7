"""Your actions: one module per action in assistant.yaml (yours; the template never overwrites them)."""
