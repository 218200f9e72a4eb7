"""Keeping a claim's lease alive while its document is processed.

A ``LeaseKeeper`` renews one claim's lease from a background thread every
``INVOICEBOT_LEASE_RENEW_S`` seconds, so that a live run keeps its documents however long they
take, and a run that dies (kill -9, a lost machine) lets them go within
``INVOICEBOT_CLAIM_LEASE_S``. A renewal is a compare-and-set on the claim's owner: when it
finds the claim taken over, the keeper marks the lease lost and stops; the pipeline checks it
between steps, and storing checks the owner again in its own transaction (``hold_claim``).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from types import TracebackType

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from invoicebot.store.claims import Clock, LeaseLostError, renew_lease
from invoicebot.store.tables import utcnow

logger = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews one claim's lease until the ``with`` block ends or the claim is taken over."""

    def __init__(
        self,
        engine: Engine,
        *,
        document_id: int,
        owner: str,
        lease: timedelta,
        renew_every: timedelta,
        clock: Clock = utcnow,
    ) -> None:
        self.document_id = document_id
        self.owner = owner
        self._engine = engine
        self._lease = lease
        self._renew_every = renew_every
        self._clock = clock
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def lost(self) -> bool:
        """Return True once a renewal found the claim taken over by another run."""
        return self._lost.is_set()

    def check(self) -> None:
        """Raise ``LeaseLostError`` when the claim was taken over."""
        if self.lost:
            raise LeaseLostError(self.document_id, self.owner)

    def renew(self) -> bool:
        """Renew the lease once; return False (and mark it lost) when it was taken over.

        A store that cannot be reached is logged and tried again at the next renewal: the
        lease may lapse meanwhile, and storing then checks who holds the claim.
        """
        try:
            with Session(self._engine) as session:
                held = renew_lease(
                    session,
                    document_id=self.document_id,
                    owner=self.owner,
                    lease=self._lease,
                    clock=self._clock,
                )
        except SQLAlchemyError as error:
            logger.warning("document %d: the lease was not renewed: %r", self.document_id, error)
            return True
        if not held:
            logger.warning(
                "document %d: the claim of %s was taken over by another run",
                self.document_id,
                self.owner,
            )
            self._lost.set()
        return held

    def _run(self) -> None:
        while not self._stop.wait(self._renew_every.total_seconds()):
            if not self.renew():
                return

    def __enter__(self) -> LeaseKeeper:
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{self.document_id}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
