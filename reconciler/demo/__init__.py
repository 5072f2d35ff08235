"""`reconcile demo`: the whole loop against an in-process sandbox (loop.py), and `reconcile demo --serve`:
`reconcile serve` taking the sandbox's webhooks (serve.py). No accounts, no credentials."""
