"""The runtime: what turns the domain (``bot/``) and the handlers into a running bot — the
composition root (``app``), polling, the webhook server, the process runner, the scheduler, the
Bot API retry policy, the terminal console and the command line. Only this sub-package of ``bot``
may import ``telegram`` or ``handlers`` (tests/test_layers.py holds it to that)."""
