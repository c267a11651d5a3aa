"""A small pool of sessions behind :meth:`Model.generate` and
:meth:`Model.segment`, so one model can be called from several threads at
once (ONNX Runtime's ``run()`` semantics). A session serves one call at a
time; a call takes an idle session or makes a new one, and gives it back
when done, so the pool grows to the largest number of simultaneous callers
and no further."""
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, List

from ._errors import ClosedError


class SessionPool:
    def __init__(self, make: Callable[[], "object"]):
        self._make = make
        self._idle: List[object] = []
        self._all: List[object] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def session(self) -> Iterator[object]:
        with self._lock:
            if self._closed:
                raise ClosedError("the model is closed")
            session = self._idle.pop() if self._idle else None
        if session is None:
            session = self._make()
            with self._lock:
                self._all.append(session)
        try:
            yield session
        finally:
            with self._lock:
                if self._closed:
                    session.close()
                else:
                    self._idle.append(session)

    @property
    def size(self) -> int:
        """Sessions made so far."""
        with self._lock:
            return len(self._all)

    def close(self) -> None:
        """Closes the idle sessions now and busy ones when their call returns."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for session in idle:
            session.close()
