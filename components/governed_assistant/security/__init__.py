"""The security review pack: ``make security-report`` in a generated project.

From the project's spec, its Pulumi program under the SDK's mocks and its last test run (pytest's
JUnit XML), ``write_report`` writes the document a reviewer reads: the data flows; each
tenant-isolation control per layer with the tests that prove it and their results; the
governance invariants; the permission matrix per function; encryption, retention and erasure
per store; and what is and is not verified without AWS.

    results   pytest's JUnit XML read back as node ids and outcomes
    controls  the controls, per layer, and the generated project's tests that prove each
    inventory what the program would deploy: permissions per function, stores
    report    the Markdown, and the verdict (a control failed or did not run: exit 1)
"""

from governed_assistant.security.report import SecurityReport, build_report

__all__ = ["SecurityReport", "build_report"]
