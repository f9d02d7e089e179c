"""Walking a `.warc.gz` member by member: the framing check behind `verify` and `repair`.

Each WARC record is its own gzip member; a crash can leave a member cut short at the end
of an `.open` file. `warcio check` does not notice a truncated last member (`gzip -t`
does), so the archive checks the framing itself.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

_CHUNK = 1 << 20


@dataclass
class MemberScan:
    """Complete members found, and where (if anywhere) the file stops making sense."""

    members: list[tuple[int, int]] = field(default_factory=list)  # (offset, compressed length)
    good_bytes: int = 0  # end of the last complete member
    size: int = 0
    problem: str | None = None

    @property
    def complete(self) -> bool:
        return self.problem is None and self.good_bytes == self.size


def scan_members(path: Path) -> MemberScan:
    """Decompress every member (discarding the output) and note where each one ends."""
    scan = MemberScan(size=path.stat().st_size)
    with open(path, "rb") as stream:
        offset = 0  # absolute offset where the current member starts
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        consumed = 0  # bytes fed into the current member so far
        pending = b""
        while True:
            data = pending or stream.read(_CHUNK)
            pending = b""
            if not data:
                break
            try:
                decomp.decompress(data)
                while decomp.unconsumed_tail:
                    decomp.decompress(decomp.unconsumed_tail)
            except zlib.error as exc:
                scan.problem = f"bad gzip data in the member at offset {offset}: {exc}"
                return scan
            if decomp.eof:
                used = len(data) - len(decomp.unused_data)
                length = consumed + used
                scan.members.append((offset, length))
                offset += length
                scan.good_bytes = offset
                pending = decomp.unused_data
                decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
                consumed = 0
            else:
                consumed += len(data)
    if scan.good_bytes != scan.size and scan.problem is None:
        scan.problem = (f"the last gzip member (at offset {scan.good_bytes}) is cut short: "
                        f"{scan.size - scan.good_bytes} bytes of an incomplete record")  # fmt: skip
    return scan
