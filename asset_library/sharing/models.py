"""Tables of grants, publish requests, common versions and the audit log."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class SharingBase(DeclarativeBase):
    """Kept apart from the index's Base: these rows are the truth, not derived."""


class GrantRow(SharingBase):
    """One subject's role on one resource (an asset, a run or a snapshot)."""

    __tablename__ = "grants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # asset: "<scope key>/<type>/<name>"; result: "runs/<user>/<dt>/<id>"
    resource: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String)  # user:<u> | group:<g> | organisation
    role: Mapped[str] = mapped_column(String)
    created_by: Mapped[str] = mapped_column(String)
    created: Mapped[float] = mapped_column(Float)
    modified: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        Index("ix_grants_resource_subject", "resource", "subject", unique=True),
        Index("ix_grants_subject", "subject", "resource"),
    )


class PublishRow(SharingBase):
    """A request to publish an asset to common, and what a curator decided."""

    __tablename__ = "publish_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset: Mapped[str] = mapped_column(Text)  # the source's resource name
    target: Mapped[str] = mapped_column(Text)  # common/<type>/<name>
    requester: Mapped[str] = mapped_column(String)
    version: Mapped[str] = mapped_column(String)
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String)  # pending | approved | rejected
    reason: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[float] = mapped_column(Float)
    decided: Mapped[float | None] = mapped_column(Float, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String, nullable=True)

    __table_args__ = (
        Index("ix_publish_status", "status", "id"),
        Index("ix_publish_requester", "requester", "id"),
    )


class VersionRow(SharingBase):
    """A version of a common asset; its files are in common/.versions/<type>/<name>/<v>/."""

    __tablename__ = "common_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(Text)  # common/<type>/<name>
    version: Mapped[str] = mapped_column(String)
    published: Mapped[float] = mapped_column(Float)
    by: Mapped[str] = mapped_column(String)
    note: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    current: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_versions_target", "target", "version", unique=True),)


class AuditRow(SharingBase):
    """Who did what to which resource, and when."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    target: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_action", "action", "id"),)
