"""The Telegram bot people subscribe to themselves (``drawwatch bot``; ``drawwatch run --bot``).

A layer of its own beside :mod:`drawwatch.web`, over the use cases, storage and notify: client.py (a small Bot
API client over aiohttp), commands.py (parsing hostile input, applying commands, the answers), phrases.py (its
English and French words), runner.py (lease, long polling, exactly-once handling, paced replies;
:func:`~drawwatch.bot.runner.run_bot` is the entry point).
"""
