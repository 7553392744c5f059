"""Where a user lands after signing in: the page they asked for, or where their role's work is.

A page that needs a signed-in user sends the browser to ``/sign-in?next=/the/page``; after
the sign-in the user is taken back there. ``next`` comes from the address bar, so anyone can
write one into a link: it is followed only when it is a path on this node (one leading
``/``, then no second ``/``, no backslash, no control character or space, no scheme), never
to another origin. Anything else, or nothing, lands on the role's page:

- duty officers (the 24/7 point of contact) on the console, where urgent requests queue;
- MLA officers and supervisors on the requests (a supervisor sees first what waits for
  their approval);
- auditors and administrators on the audit log.
"""

from __future__ import annotations

from urllib.parse import urlencode

#: The page of each role; a role not named here (none today) lands on the list of States.
ROLE_PAGES = {
    "duty_officer": "/console",
    "mla_officer": "/requests",
    "supervisor": "/requests",
    "auditor": "/audit",
    "admin": "/audit",
}
DEFAULT_PAGE = "/states"

#: A longer ``next`` is no page of ours: ignored rather than carried around.
MAX_NEXT = 1000

#: Pages never worth returning to after signing in.
_NOT_AFTER_SIGN_IN = ("/sign-in", "/sign-out")


def role_page(role: str) -> str:
    """The page where ``role``'s work is."""
    return ROLE_PAGES.get(str(role), DEFAULT_PAGE)


def safe_next(value: object) -> str | None:
    """``value`` if it is a path on this node to go back to after signing in, else None."""
    path = local_path(value)
    if path is None or path.split("?", 1)[0].split("#", 1)[0] in _NOT_AFTER_SIGN_IN:
        return None
    return path


def local_path(value: object) -> str | None:
    """``value`` if it is a path on this node (never another site's address), else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_NEXT:
        return None
    if not value.startswith("/") or value.startswith("//"):
        return None
    # Browsers read a backslash as a slash ("/\\evil" is "//evil") and drop tabs and line
    # breaks ("/\t/evil" is "//evil"): refuse them and every other control character.
    if "\\" in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        return None
    path = value.split("?", 1)[0].split("#", 1)[0]
    if ":" in path.split("/", 2)[1]:
        return None  # "/javascript:..." is a path, but nothing of ours looks like it
    return value


def landing(role: str, next_page: object = None) -> str:
    """Where to go after signing in: ``next_page`` when it is safe, else the role's page."""
    return safe_next(next_page) or role_page(role)


def sign_in_url(path: str, query: str = "") -> str:
    """The sign-in page, asked to come back to ``path`` (with its ``query``) afterwards."""
    wanted = f"{path}?{query}" if query else path
    if safe_next(wanted) is None:
        return "/sign-in"
    return "/sign-in?" + urlencode({"next": wanted})
