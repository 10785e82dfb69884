"""A transparency-log witness (C2SP tlog-witness v1): cosigns a log's checkpoint only if it extends the last one.

`claimdb witness serve --key FILE --log VKEY` runs it: one or more logs it knows by their verifier keys (the key's
name is the log's origin), and its own cosigning key (`claimdb witness keygen`). For each log it keeps only the
latest checkpoint it cosigned, in its own SQLite file, and moves it forward by compare-and-swap, so two
submissions racing cannot roll it back. It shares nothing with the log it watches but the protocol.

    POST /add-checkpoint          old size line, consistency proof lines, a blank line, the signed checkpoint;
                                  200 with the cosignature line, 400 malformed, 403 bad or missing log signature,
                                  404 unknown origin, 409 (text/x.tlog.size: the size it holds) when `old` is
                                  not that size, 422 when the proof does not verify
    GET /<sha256(origin) hex>/checkpoint   the latest checkpoint it cosigned, with the log's signature and its own
"""

from __future__ import annotations

import base64
import hashlib
import logging
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from api import tlog_verify
from api.services.transparency import SigningKey

logger = logging.getLogger("claimdb.witness")
MAX_BODY_BYTES = 64 * 1024
MAX_PROOF_LINES = 63

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    checkpoint TEXT NOT NULL
)
"""


class WitnessState:
    """The latest cosigned checkpoint of each log, in SQLite, moved forward only by compare-and-swap."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with closing(self._connect()) as connection:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA busy_timeout = 30000")
        return connection

    def latest(self, origin: str) -> tuple[int, bytes, str] | None:
        with closing(self._connect()) as connection:
            row = connection.execute(
                "SELECT size, root, checkpoint FROM checkpoints WHERE origin = ?", (origin,)
            ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]), str(row[2]))

    def advance(self, origin: str, old: tuple[int, bytes] | None, size: int, root: bytes, checkpoint: str) -> bool:
        """Record the new checkpoint only if the stored one is still `old` (None: nothing stored); True if it was."""
        with closing(self._connect()) as connection:
            if old is None:
                cursor = connection.execute(
                    "INSERT INTO checkpoints (origin, size, root, checkpoint) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (origin) DO NOTHING",
                    (origin, size, root, checkpoint),
                )
            else:
                cursor = connection.execute(
                    "UPDATE checkpoints SET size = ?, root = ?, checkpoint = ? "
                    "WHERE origin = ? AND size = ? AND root = ?",
                    (size, root, checkpoint, origin, old[0], old[1]),
                )
            return cursor.rowcount == 1


class Refusal(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass
class Submission:
    old_size: int
    proof: list[bytes]
    checkpoint: str


def parse_submission(body: bytes) -> Submission:
    """`old <size>`, up to 63 base64 proof lines, an empty line, then the checkpoint (400 otherwise)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "the body is not UTF-8") from None
    head, separator, checkpoint = text.partition("\n\n")
    if not separator:
        raise Refusal(400, "the body is an old size line, proof lines, an empty line and a checkpoint")
    first, *proof_lines = head.split("\n")
    number = first.removeprefix("old ")
    if number == first or not number.isascii() or not number.isdigit() or (number != "0" and number[0] == "0"):
        raise Refusal(400, "the first line is `old <size>`")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise Refusal(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in proof_lines:
        try:
            node = base64.b64decode(line, validate=True)
        except ValueError:
            raise Refusal(400, f"a proof line is not base64: {line[:60]!r}") from None
        if len(node) != tlog_verify.HASH_SIZE:
            raise Refusal(400, "a proof line is not a SHA-256 hash")
        proof.append(node)
    return Submission(int(number), proof, checkpoint)


class Witness:
    def __init__(self, key: SigningKey, logs: Sequence[tlog_verify.Verifier], state: WitnessState) -> None:
        if key.key_type != tlog_verify.COSIGNATURE_ED25519:
            raise ValueError("a witness cosigns with an Ed25519 cosignature key (type 0x04)")
        self.key = key
        self.logs = {log.name: log for log in logs}
        self.state = state

    def add_checkpoint(self, body: bytes) -> str:
        """The checks of tlog-witness add-checkpoint, in its order; the cosignature line, or a Refusal."""
        submission = parse_submission(body)
        try:
            unverified = tlog_verify.parse_note(submission.checkpoint)
            checkpoint = tlog_verify.parse_checkpoint(unverified.text)
        except tlog_verify.VerificationError as error:
            raise Refusal(400, f"not a checkpoint: {error}") from None
        log = self.logs.get(checkpoint.origin)
        if log is None:
            raise Refusal(404, f"unknown log origin {checkpoint.origin!r}")
        try:
            _checkpoint, verified = tlog_verify.open_checkpoint(submission.checkpoint, log)
        except tlog_verify.VerificationError as error:
            raise Refusal(403, f"the log's signature does not verify: {error}") from None
        if submission.old_size > checkpoint.size:
            raise Refusal(400, f"old size {submission.old_size} is larger than the checkpoint's {checkpoint.size}")
        stored = self.state.latest(checkpoint.origin)
        stored_size, stored_root = (stored[0], stored[1]) if stored else (0, tlog_verify.EMPTY_ROOT)
        if submission.old_size != stored_size:
            raise Refusal(409, f"{stored_size}\n")
        self._check_consistency(submission, checkpoint, stored_root)
        cosignature = self.key.signature_line(unverified.text)
        # Kept as served to monitors: the log's own signature and this witness's cosignature.
        kept = unverified.text + "\n" + "".join(signature.line for signature in verified.verified) + cosignature
        previous = None if stored is None else (stored_size, stored_root)
        if not self.state.advance(checkpoint.origin, previous, checkpoint.size, checkpoint.root, kept):
            now = self.state.latest(checkpoint.origin)
            raise Refusal(409, f"{now[0] if now else 0}\n")
        logger.info("cosigned %s at size %d", checkpoint.origin, checkpoint.size)
        return cosignature

    @staticmethod
    def _check_consistency(submission: Submission, checkpoint: tlog_verify.Checkpoint, stored_root: bytes) -> None:
        if submission.old_size == 0:
            if submission.proof:
                raise Refusal(422, "a proof from the empty tree must be empty")
            return
        try:
            tlog_verify.verify_consistency(
                submission.old_size, checkpoint.size, submission.proof, stored_root, checkpoint.root
            )
        except tlog_verify.VerificationError as error:
            logger.warning("refused %s at size %d: %s", checkpoint.origin, checkpoint.size, error)
            raise Refusal(422, f"not consistent with the checkpoint cosigned before: {error}") from None

    def checkpoint_of(self, origin_hash: str) -> str | None:
        for origin in self.logs:
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
                stored = self.state.latest(origin)
                return None if stored is None else stored[2]
        return None


def create_witness_app(witness: Witness) -> Starlette:
    async def add_checkpoint_endpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse("the body is too large\n", status_code=413)
        try:
            line = await run_in_threadpool(witness.add_checkpoint, body)
        except Refusal as refusal:
            if refusal.status == 409:
                # Exactly this type, without the charset Starlette would append to a text/* media type.
                return Response(refusal.detail, status_code=409, headers={"Content-Type": "text/x.tlog.size"})
            return PlainTextResponse(refusal.detail.rstrip("\n") + "\n", status_code=refusal.status)
        return PlainTextResponse(line)

    async def checkpoint_endpoint(request: Request) -> Response:
        note = await run_in_threadpool(witness.checkpoint_of, request.path_params["origin_hash"])
        if note is None:
            return PlainTextResponse("no checkpoint cosigned for that log\n", status_code=404)
        return PlainTextResponse(note)

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint_endpoint, methods=["POST"]),
            Route("/{origin_hash}/checkpoint", checkpoint_endpoint, methods=["GET"]),
        ]
    )
