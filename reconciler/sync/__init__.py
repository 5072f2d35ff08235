"""Sync directions: what a direction is (`direction`), the list of them (`registry`), who is who
(`identity`), ours or hand-made (`ownership`), and one folder per direction."""
