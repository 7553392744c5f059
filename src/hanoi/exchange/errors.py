"""What can go wrong when nodes exchange messages.

Refusals of a received message by the envelope checks are :class:`hanoi.crypto.envelope.
EnvelopeError`; the errors here are about peers, delivery and what a message asks for.
"""

from __future__ import annotations

from hanoi.errors import HanoiError, InvalidInput, NotFound, SetupError


class ExchangeError(HanoiError):
    """Base of every error raised by :mod:`hanoi.exchange`."""


class NoDirectory(ExchangeError, SetupError):
    """This node has no verified directory, so it knows no other node to talk to."""


class UnknownPeer(ExchangeError, NotFound):
    """The State has no entry in effect in the directory, or its entry lacks a usable key."""


class MessageRejected(ExchangeError, InvalidInput):
    """The message is authentic but what it asks for cannot be done (the receiver's domain
    refused it: an unknown request, a status change that does not fit, ...)."""

    title = "Message rejected"
