"""One eraser per kind of store; ``governed_assistant.erasure.targets`` builds them for a stack."""
