"""Authorities and the people who work at them.

The tables themselves are created by migration ``0001``; these classes map onto them. What
signing in keeps (sessions, API tokens, the throttle's failures) is in
:mod:`hanoi.accounts.session_models`: a command that acts as a user reads these two tables
only, and does not declare and map the other three.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CHAR, BigInteger, Enum, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hanoi.db.base import Base, UTCDateTime, new_id, utcnow


class AuthorityKind(StrEnum):
    """The kinds of designated authority the Convention names (Arts. 40-41, 59)."""

    CENTRAL_AUTHORITY = "central_authority"
    POINT_OF_CONTACT_24_7 = "point_of_contact_24_7"
    EXTRADITION_AUTHORITY = "extradition_authority"
    COMPETENT_AUTHORITY = "competent_authority"


class Role(StrEnum):
    MLA_OFFICER = "mla_officer"
    DUTY_OFFICER = "duty_officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


def _str_enum(enum: type[StrEnum]) -> Enum:
    # Stored as the plain value in a VARCHAR; the CHECK constraint lives in the migration.
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Authority(Base):
    __tablename__ = "authorities"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    state: Mapped[str] = mapped_column(CHAR(2))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AuthorityKind] = mapped_column(_str_enum(AuthorityKind))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"Authority({self.code!r})"


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"), index=True)
    role: Mapped[Role] = mapped_column(_str_enum(Role))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last accepted TOTP time step, so a code cannot be replayed within its window.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The language of this user's pages (one of hanoi.i18n's six); None: as the browser asks.
    language: Mapped[str | None] = mapped_column(String(8))

    # Joined eagerly: users outlive their session in the web layer, which reads the authority.
    authority: Mapped[Authority] = relationship(lazy="joined")

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret is not None

    def __repr__(self) -> str:
        return f"User({self.username!r}, {self.role.value})"
