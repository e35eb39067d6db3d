"""What the tests share, imported as a library (``tests/conftest.py`` holds only fixtures and hooks).

Local peers, each on 127.0.0.1 only and recording what it received:

- ``http_peer``: the one base of the HTTP peers (a threaded server on a free port, run by a ``with`` block,
  a record of the requests, answers that can be held, slowed or replaced on demand);
- ``feed_server``, ``webhook``, ``telegram``: the HTTP peers built on it (the IRCC feed as canada.ca serves
  it, a ``json://`` webhook receiver, a fake Telegram Bot API);
- ``smtp``: an aiosmtpd mail server (not HTTP, so not on the base);
- ``recorder`` and ``ports``: the thread-safe record tests wait on, and free or refused ports.

Builders:

- ``feeds``: the real copies of IRCC's feed in ``tests/fixtures`` and their JSON documents;
- ``times``: the instants and zones the tests agree on;
- ``rows``: stored rows (rounds, subscribers) and a feed copy stored the way a check stores it;
- ``messages``: the rounds and alert contexts notifications are rendered from;
- ``databases``: the PostgreSQL test server, engines on a test database, counting rows;
- ``commands``: the real ``drawwatch`` command line in a subprocess.
"""
