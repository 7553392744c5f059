"""Authorities, users, roles, signing in (argon2id, TOTP, throttling) and server-side sessions.

Each name is imported from the module that defines it; this package re-exports nothing, so
that a module needing only the ``User`` model (every command that opens the node) does not
load the password hashing, TOTP and sessions with it:

- :mod:`~hanoi.accounts.models`: ``Authority``, ``User``, ``Role``, ``AuthorityKind``;
  :mod:`~hanoi.accounts.session_models`: ``UserSession``, ``ApiToken``, ``SignInThrottle``.
- :mod:`~hanoi.accounts.lookup`: finding users and authorities.
- :mod:`~hanoi.accounts.service`: adding them, signing in.
- :mod:`~hanoi.accounts.sessions`: the web pages' server-side sessions.
- :mod:`~hanoi.accounts.tokens`: API tokens; :mod:`~hanoi.accounts.permissions`: who may
  do what; :mod:`~hanoi.accounts.passwords`: argon2id; :mod:`~hanoi.accounts.errors`.
"""
