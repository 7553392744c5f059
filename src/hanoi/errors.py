"""The root of every error Hanoi raises on purpose, and the decisions right below it.

An error class stands for what its *caller does* with the failure, not for each way a thing
can go wrong. The decisions are the classes here:

- :class:`InvalidInput`: what was given is not acceptable; fix it and ask again. Refined by
  :class:`Malformed` (it cannot even be read: syntax, shape, encoding), :class:`TooLarge`
  and :class:`Misdirected` (it was meant for another node).
- :class:`NotFound`: no such thing, or none this caller may know of.
- :class:`NotAllowed`: the caller's role or authority does not allow it.
- :class:`Conflict`: it clashes with how things stand (exists already, replayed, stale).
- :class:`VerificationFailed`: a signature, proof, hash or package does not verify; the
  checked thing is invalid. Refined by :class:`NotAuthentic`: no trusted key signed it.
- :class:`Unavailable`: it cannot be done now (a peer unreachable); try later. Refined by
  :class:`Busy`: another request holds the thing right now.
- :class:`SetupError`: this installation is not set up to do it; only its operator can fix
  that (configuration, keys, data files, a directory not fetched yet).

``cli/errors.py`` turns decisions into exit codes and ``web/problems.py`` into HTTP
answers, each in one table and nowhere else. Each table is searched in order, so a class
that refines a decision its base already has (``PackageNotFound``, an
``EvidenceDeliveryError`` that is also :class:`NotFound`) gets the narrower answer: the
tables list the narrow decisions before :class:`InvalidInput`.

Below the decisions, in each package:

- one base (``LedgerError``, ``CryptoError``, ...) where code catches the whole package,
  and none where nobody does (the Convention's errors derive from their decisions alone,
  and account administration raises the decisions themselves);
- a class for each failure that some caller handles differently from its siblings,
  deriving from the package's base and one decision: ``ProofError(LedgerError,
  VerificationFailed)``. Package bases carry no decision of their own;
- kinds of failure that nobody tells apart are one class whose ``check`` attribute names
  the check that failed (``ProofError.check == "root"``), and other details are attributes
  too. The message, ``str(exc)``, is one line fit to show a person as it is.

A few classes also derive from ``ValueError`` (``TreeRangeError``, ``TilePathError``,
``ConfigError``, ``FileTooLarge``) because callers catch them as such. Each class's
``title`` names its kind of failure in a few words, the same every time (HTTP problem
documents use it); a decision's title serves every class that names none.

This module imports nothing of ours, so every package may import it.
"""

from __future__ import annotations


class HanoiError(Exception):
    """Base of every error Hanoi raises on purpose; anything else is a bug."""

    #: The kind of failure in a few words, the same every time.
    title: str = "Error"


class InvalidInput(HanoiError):
    """What was given (an argument, a file, a document, a request) is not acceptable."""

    title = "Invalid input"


class Malformed(InvalidInput):
    """What was given cannot be read: wrong syntax, shape or encoding."""

    title = "Malformed"


class TooLarge(InvalidInput):
    """What was given is larger than accepted."""

    title = "Too large"


class Misdirected(InvalidInput):
    """What was given is addressed to another node than this one."""

    title = "Misdirected"


class NotFound(HanoiError):
    """No such thing, or none the caller may know of (the same answer, so ids cannot be
    probed)."""

    title = "Not found"


class NotAllowed(HanoiError):
    """The caller's role or authority does not allow this."""

    title = "Not allowed"


class Conflict(HanoiError):
    """The request clashes with how things stand: it exists already, was seen before, or
    was made against a state that has changed since."""

    title = "Conflict"


class VerificationFailed(HanoiError):
    """A signature, proof, hash or package does not verify: the checked thing is invalid."""

    title = "Does not verify"


class NotAuthentic(VerificationFailed):
    """No trusted key signed it: who made or sent it is not established."""

    title = "Not authentic"


class Unavailable(HanoiError):
    """It cannot be done now (a peer unreachable, a network down): try again later."""

    title = "Unavailable"


class Busy(Unavailable):
    """Another request holds the thing right now: try again shortly."""

    title = "Busy"


class SetupError(HanoiError):
    """This installation is not set up to do it: configuration, keys, data files or a
    directory copy are missing or damaged. Only the operator can fix it."""

    title = "Not set up"


__all__ = [
    "Busy",
    "Conflict",
    "HanoiError",
    "InvalidInput",
    "Malformed",
    "Misdirected",
    "NotAllowed",
    "NotAuthentic",
    "NotFound",
    "SetupError",
    "TooLarge",
    "Unavailable",
    "VerificationFailed",
]
