"""A minimal Outlook message (.msg) writer for the tests: a compound file (CFB, version 3) laid
out as MS-OXMSG describes, with one storage per attachment holding its long file name and its
bytes. Outlook cannot run here, so this is how a saved .msg is made."""

from __future__ import annotations

import struct

SECTOR = 512
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5


def outlook_message(subject: str, attachments: list[tuple[str, bytes | None]]) -> bytes:
    """The bytes of a .msg with this subject and these attachments (name, data); data None
    attaches an (empty) message instead of a file, as forwarding an email as an attachment does."""
    tree = [("__properties_version1.0", b"\0" * 32), ("__substg1.0_0037001F", subject.encode("utf-16-le"))]
    for number, (name, data) in enumerate(attachments):
        content = ("__substg1.0_37010102", data) if data is not None else (
            "__substg1.0_3701000D", [("__properties_version1.0", b"\0" * 32)])
        tree.append((f"__attach_version1.0_#{number:08X}", [("__substg1.0_3707001F", name.encode("utf-16-le")),
                                                            content]))
    return _compound_file(tree)


def _compound_file(tree: list) -> bytes:
    """A CFB file from [(name, bytes or [children])]; every stream kept in ordinary sectors."""
    entries: list[list] = [["Root Entry", ROOT, NOSTREAM, NOSTREAM, b""]]  # name, kind, child, right, data

    def add(children: list) -> int:
        first = len(entries)
        for i, (name, content) in enumerate(children):
            index = len(entries)
            is_storage = isinstance(content, list)
            entries.append([name, STORAGE if is_storage else STREAM, NOSTREAM, NOSTREAM,
                            b"" if is_storage else content + b"\0" * max(0, 4096 - len(content))])
            if is_storage:
                entries[index][2] = add(content)
            if i + 1 < len(children):
                entries[index][3] = len(entries)  # siblings as a right-leaning chain
        return first

    entries[0][2] = add(tree)
    entries += [["", 0, NOSTREAM, NOSTREAM, b""]] * (-len(entries) % 4)
    streams = [e[4] + b"\0" * (-len(e[4]) % SECTOR) for e in entries]
    dir_sectors = len(entries) // 4
    data_sectors = sum(len(s) // SECTOR for s in streams)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + dir_sectors + data_sectors:
        fat_sectors += 1
    fat = [FATSECT] * fat_sectors
    fat += [len(fat) + i + 1 for i in range(dir_sectors - 1)] + [END]
    starts = []
    for stream in streams:
        count = len(stream) // SECTOR
        starts.append(len(fat) if count else END)
        fat += [len(fat) + i + 1 for i in range(count - 1)] + ([END] if count else [])
    fat += [FREE] * (fat_sectors * (SECTOR // 4) - len(fat))
    directory = b""
    for (name, kind, child, right, data), start in zip(entries, starts):
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        directory += struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, NOSTREAM, right, child,
                                 b"\0" * 16, 0, 0, 0, start if data else (END if kind != 0 else 0), len(data))
    assert fat_sectors <= 109, "the header's list of FAT sectors is enough for these tests"
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x3E, 3, 0xFFFE,
                         9, 6, b"\0" * 6, 0, fat_sectors, fat_sectors, 0, 4096, END, 0, END, 0)
    header += struct.pack("<109I", *(list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)))
    return header + struct.pack(f"<{len(fat)}I", *fat) + directory + b"".join(streams)
