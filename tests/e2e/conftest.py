"""What the end-to-end tests share: the sandbox and a ready spec for it (`setup`) come from tests/conftest.py."""
