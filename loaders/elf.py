"""The glibc a shared object needs, read from its ELF symbol-version requirements.

A wheel's manylinux tag is the builder's promise; the ``GLIBC_x.y`` entries of each
object's ``.gnu.version_r`` section (``SHT_GNU_verneed``) are what the dynamic loader
actually checks when the object is imported, so they are what a Lambda package is
verified against. Only the standard library is used: the few fixed-layout records are
read with :mod:`struct`, for 32- and 64-bit objects of either byte order.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

MAGIC = b"\x7fELF"
SHT_GNU_VERNEED = 0x6FFFFFFE
_GLIBC = re.compile(rb"GLIBC_(\d+)\.(\d+)(?:\.\d+)?\x00")


class NotELFError(ValueError):
    """The file is not a well-formed ELF object."""


def is_shared_object_name(name: str) -> bool:
    """``x.so``, ``libx.so.1.2``, ``mod.cpython-312-x86_64-linux-gnu.so``."""
    return re.search(r"\.so(\.\d+)*$", name) is not None


def glibc_needed(path: Path) -> tuple[int, int] | None:
    """The newest ``GLIBC_x.y`` the object requires, None when it requires none (or is not ELF)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        return None
    try:
        return max(glibc_versions(data), default=None)
    except (struct.error, IndexError) as exc:
        raise NotELFError(f"{path}: a truncated or malformed ELF file ({exc})") from None


def glibc_versions(data: bytes) -> set[tuple[int, int]]:
    """Every ``GLIBC_x.y`` version named in the object's version-needed records."""
    if data[4] not in (1, 2) or data[5] not in (1, 2):
        raise NotELFError(f"unknown ELF class {data[4]} or byte order {data[5]}")
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        (shoff,) = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
        header = order + "IIQQQQII"
    else:
        (shoff,) = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
        header = order + "IIIIIIII"
    # name, type, flags, address, offset, size, link, info of every section
    sections = [struct.unpack_from(header, data, shoff + i * shentsize) for i in range(shnum)]
    found: set[tuple[int, int]] = set()
    for _name, kind, _flags, _addr, offset, _size, link, count in sections:
        if kind != SHT_GNU_VERNEED:
            continue
        strings = sections[link][4]
        for name_offset in _needed_names(data, order, offset, count):
            end = data.index(b"\x00", strings + name_offset)
            match = _GLIBC.fullmatch(data[strings + name_offset : end + 1])
            if match:
                found.add((int(match[1]), int(match[2])))
    return found


def _needed_names(data: bytes, order: str, offset: int, count: int) -> list[int]:
    """String-table offsets of the version names in ``count`` Elf_Verneed records."""
    names = []
    for _ in range(count):
        _version, aux_count, _file, aux, following = struct.unpack_from(order + "HHIII", data, offset)
        position = offset + aux
        for _ in range(aux_count):
            _hash, _flags, _other, name, aux_next = struct.unpack_from(order + "IHHII", data, position)
            names.append(name)
            if not aux_next:
                break
            position += aux_next
        if not following:
            break
        offset += following
    return names
