"""Grants, publish requests, versions and the audit log, in the library's database."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from ..index.db import reading, writing
from .models import AuditRow, GrantRow, PublishRow, SharingBase, VersionRow
from .roles import subjects_for

MAX_LISTED = 1000


def iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Grant:
    id: int
    resource: str
    subject: str
    role: str
    created_by: str
    created: float
    modified: float

    def to_dict(self) -> dict[str, Any]:
        kind, _, name = self.subject.partition(":")
        return {
            "id": self.id,
            "asset": self.resource,
            "user": name if kind == "user" else None,
            "group": name if kind == "group" else None,
            "organisation": self.subject == "organisation",
            "role": self.role,
            "created_by": self.created_by,
            "created": iso(self.created),
            "modified": iso(self.modified),
        }


def _grant(row: Any) -> Grant:
    return Grant(
        row.id, row.resource, row.subject, row.role, row.created_by, row.created, row.modified
    )


class SharingStore:
    """Every read and write of the sharing tables; each call is one transaction."""

    def __init__(self, engine: Engine):
        self.engine = engine
        with writing(engine) as conn:
            SharingBase.metadata.create_all(conn)

    # --- grants ------------------------------------------------------------------------

    def grants(self, resource: str) -> list[Grant]:
        stmt = select(GrantRow).where(GrantRow.resource == resource).order_by(GrantRow.id)
        with reading(self.engine) as conn:
            return [_grant(r) for r in conn.execute(stmt)]

    def grant_by_id(self, resource: str, grant_id: int) -> Grant | None:
        stmt = select(GrantRow).where(GrantRow.resource == resource, GrantRow.id == grant_id)
        with reading(self.engine) as conn:
            row = conn.execute(stmt).first()
        return None if row is None else _grant(row)

    def put_grant(self, resource: str, subject: str, role: str, actor: str) -> tuple[Grant, bool]:
        """Grant ``role`` to ``subject``; a subject granted already gets the new role.
        Returns the grant and whether it is new."""
        now = time.time()
        with writing(self.engine) as conn:
            found = conn.execute(
                select(GrantRow).where(GrantRow.resource == resource, GrantRow.subject == subject)
            ).first()
            if found is not None:
                conn.execute(
                    update(GrantRow).where(GrantRow.id == found.id).values(role=role, modified=now)
                )
                grant_id, created = found.id, False
            else:
                grant_id = conn.execute(
                    insert(GrantRow).values(
                        resource=resource,
                        subject=subject,
                        role=role,
                        created_by=actor,
                        created=now,
                        modified=now,
                    )
                ).inserted_primary_key[0]
                created = True
            row = conn.execute(select(GrantRow).where(GrantRow.id == grant_id)).first()
        return _grant(row), created

    def change_grant(self, grant_id: int, role: str) -> None:
        with writing(self.engine) as conn:
            conn.execute(
                update(GrantRow)
                .where(GrantRow.id == grant_id)
                .values(role=role, modified=time.time())
            )

    def revoke(self, grant_id: int) -> None:
        with writing(self.engine) as conn:
            conn.execute(delete(GrantRow).where(GrantRow.id == grant_id))

    def revoke_all(self, resource_prefix: str) -> None:
        """Forget every grant on a resource (and, with a trailing '/', below it)."""
        with writing(self.engine) as conn:
            conn.execute(
                delete(GrantRow).where(
                    (GrantRow.resource == resource_prefix)
                    | GrantRow.resource.startswith(resource_prefix + "/", autoescape=True)
                )
            )

    def held(self, user: str, groups: Sequence[str], resources: Sequence[str]) -> list[Grant]:
        """The grants that reach this user on any of ``resources``."""
        if not resources:
            return []
        stmt = select(GrantRow).where(
            GrantRow.resource.in_(list(resources)),
            GrantRow.subject.in_(subjects_for(user, list(groups))),
        )
        with reading(self.engine) as conn:
            return [_grant(r) for r in conn.execute(stmt)]

    def shared_with(
        self, user: str, groups: Sequence[str], prefix: str = "", limit: int = MAX_LISTED
    ) -> list[Grant]:
        """Every grant that reaches this user, on resources starting with ``prefix``."""
        stmt = select(GrantRow).where(GrantRow.subject.in_(subjects_for(user, list(groups))))
        if prefix:
            stmt = stmt.where(GrantRow.resource.startswith(prefix, autoescape=True))
        with reading(self.engine) as conn:
            return [_grant(r) for r in conn.execute(stmt.order_by(GrantRow.id).limit(limit))]

    # --- publishing ----------------------------------------------------------------------

    def add_request(self, **values: Any) -> dict[str, Any]:
        with writing(self.engine) as conn:
            new_id = conn.execute(
                insert(PublishRow).values(
                    status="pending", reason="", created=time.time(), **values
                )
            ).inserted_primary_key[0]
            return self._request(conn, new_id)

    def request(self, request_id: int) -> dict[str, Any] | None:
        with reading(self.engine) as conn:
            return self._request(conn, request_id)

    @staticmethod
    def _request(conn: Any, request_id: int) -> dict[str, Any] | None:
        row = conn.execute(select(PublishRow).where(PublishRow.id == request_id)).first()
        return None if row is None else _publish(row)

    def requests(
        self, requester: str | None = None, status: str | None = None, target: str | None = None
    ) -> list[dict[str, Any]]:
        stmt = select(PublishRow)
        if requester is not None:
            stmt = stmt.where(PublishRow.requester == requester)
        if status is not None:
            stmt = stmt.where(PublishRow.status == status)
        if target is not None:
            stmt = stmt.where(PublishRow.target == target)
        with reading(self.engine) as conn:
            rows = conn.execute(stmt.order_by(PublishRow.id.desc()).limit(MAX_LISTED))
            return [_publish(r) for r in rows]

    def decide(self, request_id: int, status: str, by: str, reason: str = "") -> bool:
        """Mark a pending request decided; False if it was decided meanwhile."""
        with writing(self.engine) as conn:
            done = conn.execute(
                update(PublishRow)
                .where(PublishRow.id == request_id, PublishRow.status == "pending")
                .values(status=status, decided=time.time(), decided_by=by, reason=reason)
            )
            return done.rowcount == 1

    def undecide(self, request_id: int) -> None:
        """Put a request back in the queue (its approval could not be carried out)."""
        with writing(self.engine) as conn:
            conn.execute(
                update(PublishRow)
                .where(PublishRow.id == request_id)
                .values(status="pending", decided=None, decided_by=None, reason="")
            )

    # --- versions of common assets ---------------------------------------------------------

    def versions(self, target: str) -> list[dict[str, Any]]:
        stmt = select(VersionRow).where(VersionRow.target == target).order_by(VersionRow.id)
        with reading(self.engine) as conn:
            return [
                {
                    "version": r.version,
                    "published": iso(r.published),
                    "by": r.by,
                    "note": r.note,
                    "current": bool(r.current),
                    "request": r.request_id,
                }
                for r in conn.execute(stmt)
            ]

    def add_version(
        self, target: str, version: str, by: str, note: str, request_id: int | None
    ) -> None:
        with writing(self.engine) as conn:
            conn.execute(
                update(VersionRow).where(VersionRow.target == target).values(current=False)
            )
            conn.execute(
                insert(VersionRow).values(
                    target=target,
                    version=version,
                    published=time.time(),
                    by=by,
                    note=note,
                    request_id=request_id,
                    current=True,
                )
            )

    # --- audit -------------------------------------------------------------------------------

    def audit(self, actor: str, action: str, target: str, **detail: Any) -> None:
        with writing(self.engine) as conn:
            conn.execute(
                insert(AuditRow).values(
                    at=time.time(), actor=actor, action=action, target=target, detail=detail
                )
            )

    def events(
        self,
        limit: int = 100,
        action: str | None = None,
        actor: str | None = None,
        before: int | None = None,
    ) -> list[dict[str, Any]]:
        stmt = select(AuditRow)
        if action:
            stmt = stmt.where(AuditRow.action == action)
        if actor:
            stmt = stmt.where(AuditRow.actor == actor)
        if before:
            stmt = stmt.where(AuditRow.id < before)
        with reading(self.engine) as conn:
            rows = conn.execute(stmt.order_by(AuditRow.id.desc()).limit(limit))
            return [
                {
                    "id": r.id,
                    "at": iso(r.at),
                    "actor": r.actor,
                    "action": r.action,
                    "target": r.target,
                    "detail": r.detail or {},
                }
                for r in rows
            ]


def _publish(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "asset": row.asset,
        "target": row.target,
        "requester": row.requester,
        "version": row.version,
        "note": row.note,
        "status": row.status,
        "reason": row.reason or "",
        "created": iso(row.created),
        "decided": iso(row.decided),
        "decided_by": row.decided_by,
    }
