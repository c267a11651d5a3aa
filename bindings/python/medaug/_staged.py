"""The staged dataset expansion (``medaug_expand_dataset_plan``, ``_steps``,
``_finish``): :func:`expand_dataset` split into a plan, ranges of steps any
process may write into one staging folder, and a finish that turns the folder
into the output. :mod:`medaug.distributed` runs it on Dask and Ray; the result
is byte-identical to :func:`expand_dataset` on the same CPU tier and threads
per call, however the ranges are spread, ordered or retried."""
from __future__ import annotations

import ctypes
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any, List, Tuple

from ._library import PathLike, _check, _lib
from ._data import _call_with_progress, _dataset_options, _invalid, _path


@dataclass(frozen=True)
class ExpansionStep:
    """One new pair of a plan."""

    index: int    #: its position among the new pairs (the number in its id is index + 1)
    recipe: str   #: "generated" (a label map rendered by the generator) or "classic"
    source: int   #: the real train pair it starts from (its position among them)
    edit: bool    #: whether a label-space edit is tried first (generated only)
    seed: int     #: seeds its edit, augmentation and rendering (unsigned 64-bit)


@dataclass(frozen=True)
class ExpansionPlan:
    """What :func:`expand_dataset` makes, step by step (:func:`expand_dataset_plan`)."""

    real_pairs: int                      #: the input's real train pairs
    target: int                          #: pairs in the output's train split
    steps: Tuple[ExpansionStep, ...]     #: one per new pair, in output order

    def ranges(self, count: int) -> List[Tuple[int, int]]:
        """The steps cut into ``count`` contiguous ``(first, count)`` ranges of
        near-equal size (fewer when there are fewer steps)."""
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise _invalid(f"the number of ranges must be a positive int; got {count!r}")
        total = len(self.steps)
        count = min(count, total)
        bounds = [total * k // count for k in range(count + 1)]
        return [(bounds[k], bounds[k + 1] - bounds[k]) for k in range(count)]


def expand_dataset_plan(input: PathLike, target: int, **options: Any) -> ExpansionPlan:
    """The plan :func:`expand_dataset` follows for ``input`` with these options
    (``medaug_expand_dataset_plan``; reads the manifest only, loads no model).
    Keyword options are those of :func:`expand_dataset`."""
    options = {k: v for k, v in options.items() if k != "progress"}
    opts, keep, _ = _dataset_options(target, None, False, options)
    pointer = ctypes.c_void_p()
    _check(_lib.medaug_expand_dataset_plan(_path(input, "input"), ctypes.byref(opts), ctypes.byref(pointer)))
    try:
        raw = json.loads(ctypes.string_at(pointer.value).decode("utf-8"))
    finally:
        _lib.medaug_string_free(pointer)
    steps = tuple(ExpansionStep(int(s["index"]), s["recipe"], int(s["source"]), bool(s["edit"]), int(s["seed"]))
                  for s in raw["steps"])
    return ExpansionPlan(int(raw["real_pairs"]), int(raw["target"]), steps)


def expand_dataset_steps(input: PathLike, staging: PathLike, target: int, generator: Any, first: int, count: int,
                         **options: Any) -> None:
    """Makes plan steps ``first ... first + count - 1`` and writes them into the
    existing folder ``staging`` (``medaug_expand_dataset_steps``). Any process
    may write any range, in any order, again after a crash; every call of one run
    takes the same input, target, generator file and options. ``progress(done,
    count)`` is called per pair."""
    for name, value in (("first", first), ("count", count)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _invalid(f"{name} must be a non-negative int; got {value!r}")
    opts, keep, model = _dataset_options(target, generator, False, options)
    handle = model._live() if model is not None else None
    source, folder = _path(input, "input"), _path(staging, "staging")
    _call_with_progress(keep, lambda: _lib.medaug_expand_dataset_steps(handle, source, folder, ctypes.byref(opts),
                                                                      first, count))


def expand_dataset_finish(input: PathLike, staging: PathLike, output: PathLike, target: int, *,
                          overwrite: bool = False, **options: Any) -> None:
    """Turns a staging folder whose ranges cover the whole plan into the dataset
    folder ``output`` (``medaug_expand_dataset_finish``): real items copied in,
    the manifest written, the folder renamed. On failure ``output`` is untouched
    and ``staging`` keeps its finished ranges."""
    options = {k: v for k, v in options.items() if k != "progress"}
    opts, keep, _ = _dataset_options(target, None, overwrite, options)
    _check(_lib.medaug_expand_dataset_finish(_path(input, "input"), _path(staging, "staging"),
                                             _path(output, "output"), ctypes.byref(opts)))


def make_staging_folder(output: PathLike, overwrite: bool = False) -> str:
    """A new empty staging folder beside ``output`` (the same file system, so it
    can be renamed into place); refuses an existing ``output`` unless
    ``overwrite``."""
    path = os.path.abspath(os.fspath(output))
    parent, name = os.path.split(path.rstrip(os.sep))
    if not os.path.isdir(parent):
        raise _invalid(f"the parent folder of '{path}' does not exist")
    if os.path.exists(path) and not overwrite:
        raise _invalid(f"'{path}' already exists (choose another folder or overwrite it)")
    return tempfile.mkdtemp(prefix=f".{name}.staging-", dir=parent)
