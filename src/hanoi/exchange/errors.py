"""What can go wrong when nodes exchange messages.

Refusals of a received message by the envelope checks are :class:`hanoi.crypto.envelope.
EnvelopeError`; the errors here are about peers, delivery and what a message asks for.
"""

from __future__ import annotations


class ExchangeError(Exception):
    """Base of every error raised by :mod:`hanoi.exchange`."""


class NoDirectory(ExchangeError):
    """This node has no verified directory, so it knows no other node to talk to."""


class UnknownPeer(ExchangeError):
    """The State has no entry in effect in the directory, or its entry lacks a usable key."""


class MessageRejected(ExchangeError):
    """The message is authentic but what it asks for cannot be done (the receiver's domain
    refused it: an unknown request, a status change that does not fit, ...)."""


class DuplicateMismatch(ExchangeError):
    """A message id already received arrived again with different content."""
