"""The operator's tooling: the `loyalty` CLI, the local server, the brand stacks and their
packaging, the demo brand and imports. Installed with the project, never shipped in a Lambda
function (nothing in `chalicelib/` imports it; tests/unit/test_architecture.py checks)."""
