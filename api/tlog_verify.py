"""Check a transparency log without trusting it: Merkle proofs, signed notes, checkpoints, cosignatures.

Standalone on purpose: the standard library and `cryptography` only, no claimdb imports, so that a reader of a
published fact-check can copy this one file and check what claimdb (or anyone) hands them. claimdb's server,
its command line and its witness use it too, so there is one implementation of each check.

- The tree is RFC 9162's (§2.1): a leaf's hash is SHA-256(0x00 ‖ leaf bytes), an interior node's
  SHA-256(0x01 ‖ left ‖ right), split at the largest power of two smaller than the number of leaves.
  `verify_inclusion` and `verify_consistency` are the verification algorithms of §2.1.3.2 and §2.1.4.2.
- Notes, checkpoints and cosignatures are the C2SP formats signed-note v1 (Ed25519, type 0x01),
  tlog-checkpoint v1 and tlog-cosignature v1 (timestamped Ed25519, type 0x04).
- A claimdb event's leaf is the canonical JSON of the fields its hash covers (`event_leaf`).

Every check raises `VerificationError` naming what failed; it returns only when everything holds. It stays one
file, over 400 lines, because a reader should have to copy (and read) exactly one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
# Signature types of signed-note v1: Ed25519 over the note text, and tlog-cosignature v1's timestamped Ed25519.
ED25519 = 0x01
COSIGNATURE_ED25519 = 0x04
# Go's sumdb/note refuses notes with more than 100 signatures; the spec asks verifiers to accept at least 16.
MAX_SIGNATURES = 100
SIGNATURE_PREFIX = "— "  # an em dash (U+2014) and a space open every signature line


class VerificationError(Exception):
    """Something did not verify; the message says what."""


# ---- the tree (RFC 9162 §2.1) --------------------------------------------------------------------------


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class TreeBuilder:
    """The root of a growing tree from its leaf hashes; keeps only the O(log n) complete subtrees of its right edge."""

    def __init__(self) -> None:
        self.size = 0
        self._edge: list[bytes] = []  # the complete subtrees of the tree, largest (leftmost) first

    def append(self, hashed_leaf: bytes) -> None:
        node, size = hashed_leaf, self.size
        while size & 1:  # each low set bit is a complete subtree of the same height as `node`: merge them
            node = node_hash(self._edge.pop(), node)
            size >>= 1
        self._edge.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self._edge:
            return EMPTY_ROOT
        node = self._edge[-1]
        for left in reversed(self._edge[:-1]):
            node = node_hash(left, node)
        return node


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    builder = TreeBuilder()
    for hashed in leaf_hashes:
        builder.append(hashed)
    return builder.root()


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{what} is {len(value)} bytes, not a {HASH_SIZE}-byte SHA-256 hash")


def verify_inclusion(leaf_index: int, tree_size: int, hashed_leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2: the leaf with this hash is leaf `leaf_index` of the tree of `tree_size` with `root`."""
    if not 0 <= leaf_index < tree_size:
        raise VerificationError(f"leaf index {leaf_index} is not inside a tree of size {tree_size}")
    _check_hash(hashed_leaf, "the leaf hash")
    _check_hash(root, "the root")
    index, last, node = leaf_index, tree_size - 1, hashed_leaf
    for sibling in proof:
        _check_hash(sibling, "a proof hash")
        if last == 0:
            raise VerificationError("the inclusion proof is longer than the path to the root")
        if index & 1 or index == last:
            node = node_hash(sibling, node)
            if not index & 1:
                while index and not index & 1:  # skip the levels where this node has no sibling on the right edge
                    index >>= 1
                    last >>= 1
        else:
            node = node_hash(node, sibling)
        index >>= 1
        last >>= 1
    if last != 0:
        raise VerificationError("the inclusion proof is shorter than the path to the root")
    if node != root:
        raise VerificationError("the inclusion proof does not lead to the root")


def verify_consistency(
    first_size: int, second_size: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """RFC 9162 §2.1.4.2: the tree of `second_size` with `second_root` extends the tree of `first_size`."""
    if first_size > second_size:
        raise VerificationError(f"the first tree ({first_size} leaves) is larger than the second ({second_size})")
    if first_size == 0:
        raise VerificationError("a consistency proof from the empty tree proves nothing")
    if first_size == second_size:
        if proof:
            raise VerificationError("trees of the same size need an empty consistency proof")
        if first_root != second_root:
            raise VerificationError(f"two different roots for the same tree size {first_size}")
        return
    if not proof:
        raise VerificationError("the consistency proof is empty")
    _check_hash(first_root, "the first root")
    _check_hash(second_root, "the second root")
    for hashed in proof:
        _check_hash(hashed, "a proof hash")
    path = list(proof)
    if first_size & (first_size - 1) == 0:  # a complete first tree is its own root: the proof leaves it out
        path.insert(0, first_root)
    index, last = first_size - 1, second_size - 1
    while index & 1:
        index >>= 1
        last >>= 1
    first_node = second_node = path[0]
    for sibling in path[1:]:
        if last == 0:
            raise VerificationError("the consistency proof is longer than the path to the root")
        if index & 1 or index == last:
            first_node = node_hash(sibling, first_node)
            second_node = node_hash(sibling, second_node)
            if not index & 1:
                while index and not index & 1:
                    index >>= 1
                    last >>= 1
        else:
            second_node = node_hash(second_node, sibling)
        index >>= 1
        last >>= 1
    if last != 0:
        raise VerificationError("the consistency proof is shorter than the path to the root")
    if first_node != first_root:
        raise VerificationError("the consistency proof does not lead to the first root")
    if second_node != second_root:
        raise VerificationError("the consistency proof does not lead to the second root")


# ---- keys and signed notes (C2SP signed-note v1) -----------------------------------------------------------


def is_valid_key_name(name: str) -> bool:
    """Non-empty, and neither a Unicode space nor a plus sign anywhere."""
    return bool(name) and "+" not in name and not any(character.isspace() for character in name)


def key_id(name: str, key_type: int, public_key: bytes) -> int:
    """SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise VerificationError(f"not base64: {text[:60]!r}") from error


@dataclass(frozen=True)
class Verifier:
    """A public key that verifies one kind of note signature: a log's (type 0x01) or a cosigner's (type 0x04)."""

    name: str
    key_id: int
    key_type: int
    public_key: bytes

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([self.key_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    def verify(self, text: str, signature: bytes) -> int | None:
        """Check `signature` (the bytes after the key id) over `text`; a cosignature's timestamp, else None."""
        key = Ed25519PublicKey.from_public_bytes(self.public_key)
        timestamp = None
        message = text.encode()
        if self.key_type == COSIGNATURE_ED25519:
            if len(signature) != 8 + 64:
                raise VerificationError(f"the cosignature of {self.name} is {len(signature)} bytes, not 72")
            (timestamp,) = struct.unpack(">Q", signature[:8])
            if timestamp >= 2**63:
                raise VerificationError(f"the cosignature of {self.name} has an impossible timestamp")
            message = cosignature_message(timestamp, text)
            signature = signature[8:]
        elif len(signature) != 64:
            raise VerificationError(f"the signature of {self.name} is {len(signature)} bytes, not 64")
        try:
            key.verify(signature, message)
        except InvalidSignature:
            raise VerificationError(f"the signature of {self.name}+{self.key_id:08x} does not verify") from None
        return timestamp


def parse_verifier_key(vkey: str) -> Verifier:
    """`<name>+<hex key id>+<base64(type ‖ public key)>`, for Ed25519 (0x01) or Ed25519 cosigner (0x04) keys."""
    parts = vkey.split("+", 2)  # the name holds no "+", base64 may
    if len(parts) != 3:
        raise VerificationError("a verifier key is <name>+<key id>+<key>")
    name, hex_id, encoded = parts
    if not is_valid_key_name(name):
        raise VerificationError(f"{name!r} is not a valid key name")
    if len(hex_id) != 8 or any(character not in "0123456789abcdefABCDEF" for character in hex_id):
        raise VerificationError("a verifier key's id is 8 hex digits")
    material = _b64decode(encoded)
    if len(material) != 1 + 32 or material[0] not in (ED25519, COSIGNATURE_ED25519):
        raise VerificationError("only Ed25519 verifier keys (type 0x01 or 0x04, 32 bytes) are supported")
    key_type, public_key = material[0], material[1:]
    if key_id(name, key_type, public_key) != int(hex_id, 16):
        raise VerificationError("the verifier key's id does not match its name and key")
    try:
        Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as error:
        raise VerificationError("not an Ed25519 public key") from error
    return Verifier(name, int(hex_id, 16), key_type, public_key)


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: int
    signature: bytes  # what follows the 4-byte key id
    line: str  # the whole signature line, as written, with its newline


@dataclass
class Note:
    text: str  # the signed text, with its final newline
    signatures: list[Signature]  # every signature line, duplicates removed
    verified: list[Signature] = field(default_factory=list)
    cosigned_at: dict[str, int] = field(default_factory=dict)  # cosigner name → its cosignature's timestamp


def parse_note(message: str | bytes) -> Note:
    """Split a signed note into its text and signature lines, checking their syntax only."""
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError as error:
            raise VerificationError("a note is UTF-8") from error
    if any(ord(character) < 0x20 and character != "\n" for character in message):
        raise VerificationError("a note has no control characters but newlines")
    split = message.rfind("\n\n")
    if split < 0:
        raise VerificationError("a note is text, a blank line and signature lines")
    text, lines = message[: split + 1], message[split + 2 :]
    if not lines or not lines.endswith("\n"):
        raise VerificationError("a note ends with at least one signature line")
    signatures: list[Signature] = []
    all_lines = lines.splitlines(keepends=True)
    if len(all_lines) > MAX_SIGNATURES:
        raise VerificationError(f"a note with more than {MAX_SIGNATURES} signatures")
    for line in all_lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise VerificationError(f"not a signature line: {line[:60]!r}")
        name, space, encoded = line[len(SIGNATURE_PREFIX) : -1].partition(" ")
        if not space or not is_valid_key_name(name) or not encoded:
            raise VerificationError(f"a malformed signature line: {line[:60]!r}")
        raw = _b64decode(encoded)
        if len(raw) < 5:
            raise VerificationError("a signature is a key id and at least one byte")
        signature = Signature(name, int.from_bytes(raw[:4], "big"), raw[4:], line)
        if signature not in signatures:
            signatures.append(signature)
    return Note(text, signatures)


def open_note(message: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse a note and verify every signature from a known key (name and id); at least one must be known.

    Signatures from unknown keys are ignored (a log's note can carry any witness's cosignature); a known key's
    signature that does not verify rejects the whole note.
    """
    note = parse_note(message)
    known: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        if known.setdefault((verifier.name, verifier.key_id), verifier) != verifier:
            raise VerificationError(f"two different keys for {verifier.name}+{verifier.key_id:08x}")
    for signature in note.signatures:
        signer = known.get((signature.name, signature.key_id))
        if signer is None:
            continue
        timestamp = signer.verify(note.text, signature.signature)
        note.verified.append(signature)
        if timestamp is not None:
            note.cosigned_at[signature.name] = timestamp
    if not note.verified:
        raise VerificationError("the note carries no signature from a known key")
    return note


# ---- checkpoints and cosignatures (C2SP tlog-checkpoint v1, tlog-cosignature v1) -------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint's note text: origin, decimal tree size, base64 root hash, then optional extension lines."""
    if not text.endswith("\n"):
        raise VerificationError("a checkpoint's text ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise VerificationError("a checkpoint is at least three non-empty lines: origin, size, root")
    origin, size_text, root_text, *extensions = lines
    if not size_text.isascii() or not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise VerificationError(f"the tree size {size_text!r} is not a decimal number without leading zeroes")
    root = _b64decode(root_text)
    _check_hash(root, "the checkpoint's root")
    size = int(size_text)
    if size == 0 and root != EMPTY_ROOT:
        raise VerificationError("the empty tree's root is the hash of nothing")
    return Checkpoint(origin, size, root, tuple(extensions))


def open_checkpoint(message: str | bytes, log: Verifier, witnesses: Sequence[Verifier] = ()) -> tuple[Checkpoint, Note]:
    """Verify a checkpoint signed by `log` and cosigned by every one of `witnesses`; return it and its note."""
    note = open_note(message, [log, *witnesses])
    names = {signature.name for signature in note.verified}
    if log.name not in names:
        raise VerificationError(f"the checkpoint is not signed by the log's key {log.name}")
    missing = [witness.name for witness in witnesses if witness.name not in names]
    if missing:
        raise VerificationError(f"the checkpoint is not cosigned by {', '.join(missing)}")
    return parse_checkpoint(note.text), note


def cosignature_message(timestamp: int, checkpoint_text: str) -> bytes:
    """What a tlog-cosignature v1 (Ed25519) signs: a header line, a time line, then the checkpoint's text."""
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


# ---- claimdb's events ---------------------------------------------------------------------------------


def canonical_time(value: str) -> str:
    """An ISO 8601 time as the leaf writes it: UTC, microseconds, `+00:00`."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise VerificationError(f"the time {value!r} has no offset")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_document(event: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an event (as `/v1/audit` shows it) that its leaf holds, in their leaf form."""
    actor = event.get("actor")
    return {
        "seq": event["seq"],
        "type": event["type"],
        "actor_id": actor["id"] if actor else None,
        "at": canonical_time(event["at"]),
        "claim_id": event["claim_id"],
        "source_id": event["source_id"],
        "from_status": event["from_status"],
        "to_status": event["to_status"],
        "rationale": event["rationale"],
        "payload": event["payload"],
        "prev_hash": event["prev_hash"],
    }


def event_leaf(event: Mapping[str, Any]) -> bytes:
    """An event's leaf bytes: the JSON of `event_document`, keys sorted, no spaces, UTF-8 without escapes.

    claimdb writes the same bytes with orjson; JSON numbers with a fraction or an exponent may be written
    differently by the two encoders, so for an event with such a number compare the server's `leaf` with
    `event_document` as parsed values instead (see `check_event_leaf`).
    """
    return json.dumps(event_document(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_event_leaf(event: Mapping[str, Any], leaf: bytes) -> None:
    """The leaf bytes hold exactly this event, hash to its `leaf_hash`, and to its chain `hash`."""
    try:
        held = json.loads(leaf)
    except ValueError as error:
        raise VerificationError(f"the leaf of event {event['seq']} is not JSON") from error
    if held != event_document(event):
        raise VerificationError(f"the leaf of event {event['seq']} holds other values than the event shows")
    if leaf_hash(leaf).hex() != event.get("leaf_hash"):
        raise VerificationError(f"the leaf of event {event['seq']} does not hash to its leaf_hash")
    if hashlib.sha256(leaf).hexdigest() != event["hash"]:
        raise VerificationError(f"the leaf of event {event['seq']} does not hash to its chain hash")
