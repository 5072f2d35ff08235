"""A field a sync relies on, missing from a whole list: the read stops before anything is written.

A field missing from every record of a list is not a property of the records: the service changed its
answers, or the credential may not read that field. Read on, the records would mean something else (an
absence period without `approval.status` reads as not approved, and the absences synced from it would
be planned for deletion), so the read stops with one line naming the endpoint and the field. A field
missing from only some records is the client's to read as it always has (a default, a skipped record).

The check runs on the records as the client read them, after every page (and any fast path, see
`fields.Reader`): `present` says whether a read record carries the field, from what the client made of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from reconciler.systems.http.fields import Source

T = TypeVar("T")


def relied_on(source: Source, records: Sequence[T], field: str, present: Callable[[T], bool], *, kind: str,
              purpose: str) -> None:
    """Raise `UnexpectedResponse` when `records` is not empty and not one of them carries `field`
    (`present`), e.g. `GET /v2/absence-periods: no absence period carries approval.status (42 read);
    reconcile relies on it to tell approved absences from pending and rejected ones; ...`.

    `source` names the endpoint (its query is left out: a list read in slices or by chunks of ids is one
    list), `kind` a record (`absence period`), `purpose` what the field is for (`to tell ...`)."""
    if not records or any(present(record) for record in records):
        return
    endpoint = source.endpoint.split("?")[0]
    raise source.error(f"{endpoint}: no {kind} carries {field} ({len(records)} read); reconcile relies on it "
                       f"{purpose}, so the run stops before writing anything. The service may have changed "
                       "its answers, or the API credential may not read that field: run `reconcile doctor`")
