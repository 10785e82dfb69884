"""The ledger as a public log: signing keys, signed checkpoints, proofs for the API, and pushes to witnesses.

A checkpoint (C2SP tlog-checkpoint) names the log's origin, its tree size and root; the log signs it with an
Ed25519 key kept in a file outside the database (`CLAIMDB_LOG_KEY_FILE`). The last checkpoint signed is kept
beside it (`CLAIMDB_LOG_STATE_FILE`, JSON, replaced atomically), also outside the database, so that whoever
rewrites the database cannot rewrite what the log already promised. Before signing a new checkpoint the log
proves to itself that the tree only grew since the last one: the stored tree still has the last root at the
last size, the events appended since hash to exactly the stored tree, and the consistency proof verifies
(with `api.tlog_verify`, as any outsider would). Otherwise it refuses, and keeps serving the last checkpoint.

The first checkpoint recomputes the whole tree from the events, once. After signing, the log pushes the
checkpoint to each witness (`CLAIMDB_WITNESS_URLS`, C2SP tlog-witness `add-checkpoint`) with a consistency
proof from the size that witness last cosigned, and keeps the cosignatures it gets on the served checkpoint.

One module, over 400 lines: the key, the state file, the signing rule and the pushes are one promise (what the
log has signed) held under one file lock; the tree itself is in api/services/merkle.py.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import os
import struct
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import tlog_verify
from api.database import Database
from api.errors import InvalidInput, NotFound, ServiceUnavailable
from api.services import merkle
from api.services.audit import describe_events
from api.services.ledger import HASHED_FIELDS, canonical_bytes
from api.settings import Settings
from models import Event

logger = logging.getLogger("claimdb.log")
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
WITNESS_TIMEOUT_SECONDS = 10


class LogNotConfigured(NotFound):
    """No signing key: there is no checkpoint to serve (proofs and leaves are served all the same).

    A 404 rather than a 503: nothing is failing, this deployment simply publishes no checkpoints.
    """


class LogInconsistent(ServiceUnavailable):
    """The ledger no longer extends the last checkpoint the log signed: it refuses to sign."""


# ---- keys ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 note signer: a log's (type 0x01, signs the note text) or a witness's (0x04, cosigns)."""

    name: str
    key_type: int
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> int:
        return tlog_verify.key_id(self.name, self.key_type, self.public_key)

    @property
    def verifier(self) -> tlog_verify.Verifier:
        return tlog_verify.Verifier(self.name, self.key_id, self.key_type, self.public_key)

    def signature_line(self, text: str, *, timestamp: int | None = None) -> str:
        """The note signature line over `text`; a cosignature is timestamped (now, unless given)."""
        prefix = self.key_id.to_bytes(4, "big")
        if self.key_type == tlog_verify.COSIGNATURE_ED25519:
            moment = int(time.time()) if timestamp is None else timestamp
            prefix += struct.pack(">Q", moment)
            signature = self.private_key.sign(tlog_verify.cosignature_message(moment, text))
        else:
            signature = self.private_key.sign(text.encode())
        return f"{tlog_verify.SIGNATURE_PREFIX}{self.name} {base64.b64encode(prefix + signature).decode()}\n"

    def encode(self) -> str:
        """`PRIVATE+KEY+<name>+<hex key id>+<base64(type ‖ seed)>`: Go's sumdb/note signer key format."""
        seed = self.private_key.private_bytes_raw()
        encoded = base64.b64encode(bytes([self.key_type]) + seed).decode()
        return f"{PRIVATE_KEY_PREFIX}{self.name}+{self.key_id:08x}+{encoded}"


def generate_key(name: str, key_type: int = tlog_verify.ED25519) -> SigningKey:
    if not tlog_verify.is_valid_key_name(name):
        raise InvalidInput(f"{name!r} cannot name a key: no spaces and no '+'.")
    return SigningKey(name, key_type, Ed25519PrivateKey.generate())


def parse_key(text: str) -> SigningKey:
    """The inverse of `SigningKey.encode`; refuses a key whose id does not match its name and key."""
    if not text.startswith(PRIVATE_KEY_PREFIX):
        raise ValueError(f"a signing key starts with {PRIVATE_KEY_PREFIX}")
    parts = text[len(PRIVATE_KEY_PREFIX) :].split("+", 2)
    if len(parts) != 3 or not tlog_verify.is_valid_key_name(parts[0]) or len(parts[1]) != 8:
        raise ValueError("a signing key is PRIVATE+KEY+<name>+<key id>+<key>")
    name, hex_id, encoded = parts
    material = base64.b64decode(encoded, validate=True)
    if len(material) != 33 or material[0] not in (tlog_verify.ED25519, tlog_verify.COSIGNATURE_ED25519):
        raise ValueError("only Ed25519 signing keys (type 0x01 or 0x04) are supported")
    key = SigningKey(name, material[0], Ed25519PrivateKey.from_private_bytes(material[1:]))
    if f"{key.key_id:08x}" != hex_id.lower():
        raise ValueError("the signing key's id does not match its name and key")
    return key


def write_key_file(path: Path, key: SigningKey) -> None:
    """Create the file (never overwrite one), readable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(key.encode() + "\n")


def read_key_file(path: Path, key_type: int) -> SigningKey:
    try:
        key = parse_key(path.read_text().strip())
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a usable signing key ({error})") from error
    if key.key_type != key_type:
        raise ValueError(f"{path}: a key of type {key.key_type:#04x}, where {key_type:#04x} is needed")
    return key


# ---- the log's configuration and state -----------------------------------------------------------------------


def default_origin(public_base_url: str) -> str:
    """The public base URL without its scheme or trailing slash: `https://claims.example/` → `claims.example`."""
    parts = urlsplit(public_base_url)
    return (parts.netloc + parts.path).rstrip("/") or "claimdb"


@dataclass
class Log:
    """This server's log: its key, its origin (the key's name) and where its last checkpoint is kept."""

    key: SigningKey
    state_path: Path
    witness_urls: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return self.key.name

    @classmethod
    def from_settings(cls, settings: Settings) -> Log | None:
        """None without a key file; a clear ValueError when the key cannot sign for this log's origin."""
        if not settings.log_key_file:
            return None
        path = Path(settings.log_key_file)
        key = read_key_file(path, tlog_verify.ED25519)
        origin = settings.log_origin or default_origin(settings.public_base_url)
        if key.name != origin:
            raise ValueError(
                f"{path} holds the key of {key.name!r}, but this log's origin is {origin!r}: set CLAIMDB_LOG_ORIGIN "
                f"to {key.name!r}, or make a key for {origin!r} with `claimdb log keygen`"
            )
        state = Path(settings.log_state_file) if settings.log_state_file else path.with_name(path.name + ".state")
        urls = [url.rstrip("/") for url in settings.witness_urls.replace(",", " ").split()]
        for url in urls:
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"CLAIMDB_WITNESS_URLS: {url!r} is not an http or https URL")
        return cls(key, state, urls)


@dataclass
class LogState:
    """The last checkpoint signed, with the cosignatures gathered, and the size each witness last cosigned."""

    size: int = 0
    root: bytes = tlog_verify.EMPTY_ROOT
    checkpoint: str | None = None
    witnesses: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> LogState:
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        return cls(data["size"], base64.b64decode(data["root"]), data["checkpoint"], dict(data["witnesses"]))

    def write(self, path: Path) -> None:
        """Replace the file atomically (write beside it, flush to disk, rename), so a crash leaves old or new."""
        body = {
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "checkpoint": self.checkpoint,
            "witnesses": self.witnesses,
        }
        partial = path.with_name(path.name + ".partial")
        with partial.open("w") as stream:
            json.dump(body, stream, indent=1)
            stream.flush()
            os.fsync(stream.fileno())
        partial.replace(path)


@contextlib.contextmanager
def _locked(log: Log) -> Iterator[LogState]:
    """The state, held against every other signer (another server process, `claimdb log checkpoint`)."""
    with log.state_path.with_name(log.state_path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield LogState.read(log.state_path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def require(log: Log | None) -> Log:
    if log is None:
        raise LogNotConfigured(
            "This claimdb signs no checkpoints: no signing key is configured (CLAIMDB_LOG_KEY_FILE, made with "
            "`claimdb log keygen`). Proofs and event leaves are served without one."
        )
    return log


# ---- signing -------------------------------------------------------------------------------------------------


def _check_extends(session: Session, last: LogState, size: int, root: bytes) -> None:
    """Refuse unless the tree of `size` with `root` extends the last signed one, by the events themselves."""
    if size < last.size:
        raise LogInconsistent(
            f"The ledger has {size} events, fewer than the {last.size} of the last signed checkpoint: events were "
            "removed. The log refuses to sign."
        )
    try:
        edge = merkle.read_edge(session, last.size)
    except merkle.TreeIncomplete as error:
        raise LogInconsistent(f"{error.detail} The log refuses to sign.") from None
    if merkle.fold(edge.hashes) != last.root:
        raise LogInconsistent(
            f"The stored tree of {last.size} events no longer has the root of the last signed checkpoint: events up "
            f"to seq {last.size} were rewritten. The log refuses to sign."
        )
    recomputed, _written = merkle.extend(
        edge, (hashed for _seq, hashed in merkle.iter_leaf_hashes(session, last.size, size))
    )
    if recomputed.size != size or merkle.fold(recomputed.hashes) != root:
        raise LogInconsistent(
            f"The events after seq {last.size} do not hash to the stored tree: run `claimdb verify`. The log refuses "
            "to sign."
        )
    if last.size:
        proof = merkle.consistency_proof(session, last.size, size)
        try:
            tlog_verify.verify_consistency(last.size, size, proof, last.root, root)
        except tlog_verify.VerificationError as error:
            raise LogInconsistent(f"The tree is not consistent with the last signed checkpoint: {error}.") from None


def _sign(session: Session, log: Log, state: LogState) -> bool:
    """Sign the current tree into `state` unless it is the one already signed; True when it signed."""
    size = merkle.tree_size(session)
    root = merkle.root(session, size)
    if state.checkpoint is not None and state.size == size and state.root == root:
        return False
    _check_extends(session, state, size, root)
    text = tlog_verify.Checkpoint(log.origin, size, root).text
    state.size, state.root = size, root
    state.checkpoint = text + "\n" + log.key.signature_line(text)
    state.write(log.state_path)
    logger.info("signed checkpoint %s at size %d", log.origin, size)
    return True


def latest_checkpoint(session: Session, log: Log | None) -> str:
    """The last checkpoint signed, with its cosignatures; the first one is signed now if there is none yet."""
    log = require(log)
    state = LogState.read(log.state_path)
    if state.checkpoint is None:
        with _locked(log) as state:
            _sign(session, log, state)
    assert state.checkpoint is not None
    return state.checkpoint


@dataclass
class Publication:
    checkpoint: str
    signed: bool
    cosigned_by: list[str]
    refusals: list[str]


def publish(database: Database, log: Log) -> Publication:
    """Sign the current tree if it grew, then push the checkpoint to every witness that has not cosigned it."""
    with _locked(log) as state, database.transaction(write=False) as session:
        signed = _sign(session, log, state)
        assert state.checkpoint is not None
        cosigned_by, refusals = [], []
        for url in log.witness_urls:
            if state.witnesses.get(url) == state.size and not signed:
                continue
            try:
                lines = _push(session, url, state)
            except WitnessRefused as error:
                refusals.append(str(error))
                logger.error("witness refused checkpoint %s at size %d: %s", log.origin, state.size, error)
                continue
            state.checkpoint += "".join(line for line in lines if line not in state.checkpoint)
            state.witnesses[url] = state.size
            cosigned_by.append(url)
        if cosigned_by:
            state.write(log.state_path)
        return Publication(state.checkpoint, signed, cosigned_by, refusals)


async def keep_publishing(database: Database, log: Log, interval_seconds: float) -> None:
    """The server's cadence: publish now and every interval; a failure is logged, and tried again next time."""
    while True:
        try:
            await anyio.to_thread.run_sync(publish, database, log)
        except Exception:
            logger.exception("publishing the checkpoint of %s failed", log.origin)
        await anyio.sleep(interval_seconds)


# ---- witnesses -----------------------------------------------------------------------------------------------


class WitnessRefused(Exception):
    """A witness would not cosign (or could not be reached); the message says which and why."""


def _post(url: str, body: str) -> tuple[int, str]:
    # S310: `Log.from_settings` accepts only http and https witness URLs.
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={"Content-Type": "text/plain"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=WITNESS_TIMEOUT_SECONDS) as response:  # noqa: S310 - the operator's witness URLs
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        raise WitnessRefused(f"{url}: unreachable ({error})") from None


def _push(session: Session, url: str, state: LogState) -> list[str]:
    """tlog-witness add-checkpoint, from the size the witness last cosigned (learnt from a 409 if unknown)."""
    assert state.checkpoint is not None
    old = state.witnesses.get(url, 0)
    for _attempt in range(2):
        if old > state.size:
            raise WitnessRefused(f"{url} has cosigned {old} events, more than the {state.size} signed now")
        proof = merkle.consistency_proof(session, old, state.size) if 0 < old < state.size else []
        body = (
            f"old {old}\n" + "".join(base64.b64encode(node).decode() + "\n" for node in proof) + "\n" + state.checkpoint
        )
        status, answer = _post(url + "/add-checkpoint", body)
        if status == 200:
            lines = answer.splitlines(keepends=True)
            if not lines or not all(
                line.startswith(tlog_verify.SIGNATURE_PREFIX) and line.endswith("\n") for line in lines
            ):
                raise WitnessRefused(f"{url} answered 200 without cosignature lines")
            return lines
        if status == 409 and answer.strip().isdigit():
            old = int(answer.strip())
            continue
        raise WitnessRefused(f"{url} answered {status}: {answer.strip()[:300]}")
    raise WitnessRefused(f"{url} keeps answering 409")


# ---- proofs and leaves for the API ------------------------------------------------------------------------------


def _current_size(session: Session) -> int:
    return merkle.tree_size(session)


def inclusion(session: Session, seq: int, size: int) -> dict[str, Any]:
    """The inclusion proof of event `seq` in the tree of `size` events."""
    current = _current_size(session)
    if seq < 1:
        raise InvalidInput("seq: events are numbered from 1.", parameter="seq")
    if not seq <= size <= current:
        raise InvalidInput(
            f"size: must be at least seq ({seq}) and at most the log's size ({current}).", parameter="size"
        )
    hashed = merkle.leaf_hashes(session, [seq]).get(seq)
    if hashed is None:
        raise merkle.TreeIncomplete(f"The stored tree lacks the leaf of event {seq}")
    proof = merkle.inclusion_proof(session, seq - 1, size)
    return {
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": hashed.hex(),
        "hashes": [node.hex() for node in proof],
    }


def consistency(session: Session, old_size: int, size: int) -> dict[str, Any]:
    """The consistency proof from the tree of `old_size` events to the tree of `size`."""
    current = _current_size(session)
    if old_size < 1:
        raise InvalidInput("from: a consistency proof starts from a tree of at least one event.", parameter="from")
    if not old_size <= size <= current:
        raise InvalidInput(
            f"to: must be at least from ({old_size}) and at most the log's size ({current}).", parameter="to"
        )
    proof = merkle.consistency_proof(session, old_size, size)
    return {"from": old_size, "to": size, "hashes": [node.hex() for node in proof]}


def event_with_leaf(session: Session, seq: int) -> dict[str, Any]:
    """The event as `/v1/audit` shows it, with its leaf bytes (base64) as they are computed from its row."""
    described = describe_events(session, select(Event).where(Event.seq == seq))
    if not described:
        raise NotFound(f"No event has seq {seq}.")
    row = session.get(Event, seq)
    assert row is not None
    leaf = canonical_bytes({name: getattr(row, name) for name in HASHED_FIELDS})
    return {**described[0], "leaf": base64.b64encode(leaf).decode()}
