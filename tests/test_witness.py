"""The witness (api/witness.py): tlog-witness add-checkpoint, and a witnessed claimdb that is then tampered with.

The protocol tests talk HTTP to the witness app with a log built in memory; the last tests run claimdb and a
witness as two processes, as they would be deployed, and rewrite or cut the ledger under them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from api import tlog_verify
from api.database import Database
from api.services import merkle, transparency
from api.witness import Witness, WitnessState, create_witness_app
from tests import tamper
from tests.factories import make_claim, make_source, move
from tests.server import ServerProcess, free_port

CLAIMDB = str(Path(sys.executable).with_name("claimdb"))
LOG = "log.example/ledger"
WITNESS = "witness.example/w1"


class MemoryLog:
    """A log held in memory that signs checkpoints of its leaves and proves their consistency."""

    def __init__(self, key: transparency.SigningKey) -> None:
        self.key = key
        self.leaves: list[bytes] = []

    def grow(self, count: int) -> None:
        self.leaves += [tlog_verify.leaf_hash(f"leaf {len(self.leaves) + i}".encode()) for i in range(count)]

    def checkpoint(self, size: int | None = None, key: transparency.SigningKey | None = None) -> str:
        size = len(self.leaves) if size is None else size
        text = tlog_verify.Checkpoint(self.key.name, size, tlog_verify.root_of(self.leaves[:size])).text
        return text + "\n" + (key or self.key).signature_line(text)

    def proof(self, old: int, size: int | None = None) -> list[bytes]:
        size = len(self.leaves) if size is None else size
        if old == 0 or old == size:
            return []
        return [tlog_verify.root_of(self.leaves[a:b]) for a, b in merkle.consistency_ranges(old, size)]


def body(old: int, proof: list[bytes], checkpoint: str) -> bytes:
    lines = "".join(base64.b64encode(node).decode() + "\n" for node in proof)
    return f"old {old}\n{lines}\n{checkpoint}".encode()


@pytest.fixture
def witness_key() -> transparency.SigningKey:
    return transparency.generate_key(WITNESS, tlog_verify.COSIGNATURE_ED25519)


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog(transparency.generate_key(LOG))


@pytest.fixture
def witness(tmp_path: Path, witness_key: transparency.SigningKey, log: MemoryLog) -> Iterator[TestClient]:
    state = WitnessState(tmp_path / "witness.sqlite3")
    with TestClient(create_witness_app(Witness(witness_key, [log.key.verifier], state))) as client:
        yield client


def test_the_witness_cosigns_the_first_checkpoint_and_each_consistent_one(
    witness: TestClient, log: MemoryLog, witness_key: transparency.SigningKey
) -> None:
    log.grow(5)
    first = log.checkpoint()
    answer = witness.post("/add-checkpoint", content=body(0, [], first))
    assert answer.status_code == 200, answer.text
    cosigned, note = tlog_verify.open_checkpoint(first + answer.text, log.key.verifier, [witness_key.verifier])
    assert cosigned.size == 5 and abs(note.cosigned_at[WITNESS] - time.time()) < 60
    log.grow(6)
    second = witness.post("/add-checkpoint", content=body(5, log.proof(5), log.checkpoint()))
    assert second.status_code == 200, second.text
    tlog_verify.open_checkpoint(log.checkpoint() + second.text, log.key.verifier, [witness_key.verifier])
    # the same checkpoint again is consistent with itself
    assert witness.post("/add-checkpoint", content=body(11, [], log.checkpoint())).status_code == 200
    served = witness.get(f"/{hashlib.sha256(LOG.encode()).hexdigest()}/checkpoint")
    assert served.status_code == 200
    checkpoint, _note = tlog_verify.open_checkpoint(served.text, log.key.verifier, [witness_key.verifier])
    assert checkpoint.size == 11


def test_a_stale_old_size_is_a_409_naming_the_size_the_witness_holds(witness: TestClient, log: MemoryLog) -> None:
    log.grow(4)
    assert witness.post("/add-checkpoint", content=body(0, [], log.checkpoint())).status_code == 200
    log.grow(3)
    for stale in (0, 2):
        answer = witness.post("/add-checkpoint", content=body(stale, log.proof(stale), log.checkpoint()))
        assert answer.status_code == 409
        assert answer.headers["content-type"] == "text/x.tlog.size"
        assert answer.text == "4\n"


def test_an_inconsistent_checkpoint_is_a_422(witness: TestClient, log: MemoryLog) -> None:
    log.grow(4)
    assert witness.post("/add-checkpoint", content=body(0, [], log.checkpoint())).status_code == 200
    log.leaves[3] = tlog_verify.leaf_hash(b"a rewritten leaf")  # a fork: leaf 3 replaced, then grown
    log.grow(3)
    answer = witness.post("/add-checkpoint", content=body(4, log.proof(4), log.checkpoint()))
    assert answer.status_code == 422
    assert "not consistent" in answer.text
    same_size_other_root = witness.post("/add-checkpoint", content=body(4, [], log.checkpoint(4)))
    assert same_size_other_root.status_code == 422
    proof_from_nothing = witness.post("/add-checkpoint", content=body(0, [bytes(32)], log.checkpoint()))
    assert proof_from_nothing.status_code == 409  # the witness holds 4 already
    # and what it holds is still the first checkpoint
    served = witness.get(f"/{hashlib.sha256(LOG.encode()).hexdigest()}/checkpoint").text
    assert tlog_verify.parse_note(served).text.split("\n")[1] == "4"


def test_signatures_origins_and_malformed_bodies_are_refused(witness: TestClient, log: MemoryLog) -> None:
    log.grow(3)
    impostor = transparency.generate_key(LOG)  # the same name, another key
    assert witness.post("/add-checkpoint", content=body(0, [], log.checkpoint(key=impostor))).status_code == 403
    stranger = MemoryLog(transparency.generate_key("other.example/log"))
    stranger.grow(2)
    assert witness.post("/add-checkpoint", content=body(0, [], stranger.checkpoint())).status_code == 404
    assert witness.post("/add-checkpoint", content=body(5, [], log.checkpoint())).status_code == 400  # old > size
    for malformed in (b"", b"old 01\n\n" + log.checkpoint().encode(), b"new 0\n\n", b"old 0\nnot base64!\n\n"):
        assert witness.post("/add-checkpoint", content=malformed).status_code == 400, malformed
    assert witness.get(f"/{'0' * 64}/checkpoint").status_code == 404


def test_the_witness_state_moves_only_by_compare_and_swap(tmp_path: Path) -> None:
    state = WitnessState(tmp_path / "w.sqlite3")
    assert state.advance(LOG, None, 3, b"r3", "c3")
    assert not state.advance(LOG, None, 5, b"r5", "c5")  # someone stored first
    assert not state.advance(LOG, (2, b"r2"), 5, b"r5", "c5")  # a stale view
    assert state.advance(LOG, (3, b"r3"), 5, b"r5", "c5")
    assert not state.advance(LOG, (3, b"r3"), 4, b"r4", "c4")  # a slower request for a smaller tree: no rollback
    assert state.latest(LOG) == (5, b"r5", "c5")


# ---- claimdb and a witness, two processes ------------------------------------------------------------------


class WitnessProcess:
    def __init__(self, tmp_path: Path, log_vkey: str) -> None:
        self.key_file = tmp_path / "witness.key"
        made = subprocess.run(
            [CLAIMDB, "witness", "keygen", str(self.key_file), "--name", WITNESS],
            capture_output=True,
            text=True,
            check=True,
        )
        self.vkey = made.stdout.strip()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = tmp_path / "witness.sqlite3"
        self.where = ["--port", str(self.port), "--state", str(self.state)]
        self.output = (tmp_path / "witness.log").open("wb")
        self.process = subprocess.Popen(
            [CLAIMDB, "witness", "serve", "--key", str(self.key_file), "--log", log_vkey, *self.where],
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.url}/{'0' * 64}/checkpoint", timeout=2)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    pytest.fail(f"the witness did not start: {(tmp_path / 'witness.log').read_text()}")
                time.sleep(0.1)

    def held(self, origin: str) -> str:
        return httpx.get(f"{self.url}/{hashlib.sha256(origin.encode()).hexdigest()}/checkpoint").text

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self.output.close()


@pytest.fixture
def deployment(
    database_url: str, keys: dict[str, str], tmp_path: Path
) -> Iterator[tuple[ServerProcess, WitnessProcess, dict[str, str]]]:
    key_file = tmp_path / "log.key"
    environment = {"CLAIMDB_LOG_ORIGIN": LOG, "DATABASE_URL": database_url}
    made = subprocess.run(
        [CLAIMDB, "log", "keygen", str(key_file)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **environment},
    )
    witness = WitnessProcess(tmp_path, made.stdout.strip())
    environment |= {
        "CLAIMDB_LOG_KEY_FILE": str(key_file),
        "CLAIMDB_WITNESS_URLS": witness.url,
        "CLAIMDB_CHECKPOINT_INTERVAL_SECONDS": "0.2",
        "LOG_VKEY": made.stdout.strip(),
    }
    server = ServerProcess(database_url, tmp_path / "server.log", keys, environment)
    server.start()
    try:
        yield server, witness, environment
    finally:
        server.stop()
        witness.stop()


def _wait_for_witnessed(server: ServerProcess, witness: WitnessProcess, size: int) -> str:
    """The served checkpoint, once it covers `size` events and carries the witness's cosignature."""
    log = tlog_verify.parse_verifier_key(server.environment["LOG_VKEY"])
    deadline = time.monotonic() + 30
    with server.client("viewer") as client:
        while True:
            note = client.get("/v1/audit/checkpoint").text
            try:
                checkpoint, _ = tlog_verify.open_checkpoint(note, log, [tlog_verify.parse_verifier_key(witness.vkey)])
                if checkpoint.size == size:
                    return note
            except tlog_verify.VerificationError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no witnessed checkpoint of size {size}: {note}\n{server.log.read_text()}")
            time.sleep(0.1)


def _cli(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLAIMDB, *args], env={**os.environ, **environment}, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.slow
@pytest.mark.fresh_database
@pytest.mark.parametrize("tampering", ["rewrite the tail", "cut the tail"])
def test_a_witnessed_log_exposes_a_tampered_ledger(
    deployment: tuple[ServerProcess, WitnessProcess, dict[str, str]], database_url: str, tmp_path: Path, tampering: str
) -> None:
    server, witness, environment = deployment
    with server.client("analyst") as client:
        source = make_source(client)
        claim = make_claim(client, source["id"])
        assert move(client, claim, "under_review").status_code == 200
        make_source(client)
        make_source(client)
        size = len(client.get("/v1/audit", params={"limit": 500}).json()["items"])
    witnessed = _wait_for_witnessed(server, witness, size)
    (tmp_path / "witnessed.txt").write_text(witnessed)
    held = _reader_checks(server, witness, claim["id"])
    vkey = environment["LOG_VKEY"]
    verify = ["log", "verify", "--vkey", vkey, "--checkpoint", str(tmp_path / "witnessed.txt")]
    assert _cli(environment, *verify, "--witness", witness.vkey).returncode == 0
    over_http = _cli(environment, *verify, "--url", server.base_url, "--api-key", server.keys["viewer"])
    assert over_http.returncode == 0, over_http.stderr

    server.stop()
    database = Database(database_url)
    try:
        if tampering == "rewrite the tail":
            tamper.rewrite_tail(database, 4, rationale="it was always refuted", to_status="refuted")
        else:
            tamper.cut_tail(database, 2)
    finally:
        database.dispose()
    # The server's own guard: its last checkpoint is kept outside the database, so it refuses to sign.
    refused = _cli(environment, "log", "checkpoint")
    assert refused.returncode == 1 and "refuses to sign" in refused.stderr
    # An attacker who also removes that state makes the server sign the forked ledger: the witness refuses it.
    Path(environment["CLAIMDB_LOG_KEY_FILE"] + ".state").unlink()
    forked = _cli(environment, "log", "checkpoint")
    assert forked.returncode == 1
    expected = "422" if tampering == "rewrite the tail" else "more than"
    assert "not cosigned" in forked.stderr and expected in forked.stderr, forked.stderr
    assert tlog_verify.parse_note(witness.held(LOG)).text == tlog_verify.parse_note(witnessed).text
    # And the witnessed checkpoint exposes the tampered ledger, read from the database or from the server.
    checked = _cli(environment, *verify)
    assert checked.returncode == 1
    assert "log verify FAILED" in checked.stderr
    server.start()
    over_http = _cli(environment, *verify, "--url", server.base_url, "--api-key", server.keys["viewer"])
    assert over_http.returncode == 1
    assert "log verify FAILED" in over_http.stderr
    # The reader of the published fact-check, holding the witnessed checkpoint, is not fooled either.
    if tampering == "rewrite the tail":
        with pytest.raises(tlog_verify.VerificationError):
            _reader_checks(server, witness, claim["id"], held)
    else:
        with server.client("viewer") as reader:
            shrunk = reader.get("/v1/audit/proof/inclusion", params={"seq": 1, "size": held.size})
            assert shrunk.status_code == 422  # the log no longer has as many events as it showed the witness


def _reader_checks(
    server: ServerProcess, witness: WitnessProcess, claim_id: str, held: tlog_verify.Checkpoint | None = None
) -> tlog_verify.Checkpoint:
    """README's check of a claim's history, with the module alone, against the checkpoint the witness holds."""
    log = tlog_verify.parse_verifier_key(server.environment["LOG_VKEY"])
    if held is None:
        held, _note = tlog_verify.open_checkpoint(
            witness.held(LOG), log, [tlog_verify.parse_verifier_key(witness.vkey)]
        )
    with server.client("viewer") as reader:
        events = reader.get("/v1/audit", params={"claim": claim_id}).json()["items"]
        assert len(events) == 2
        for event in events:
            leaf = base64.b64decode(reader.get(f"/v1/audit/events/{event['seq']}").json()["leaf"])
            tlog_verify.check_event_leaf(event, leaf)
            proof = reader.get("/v1/audit/proof/inclusion", params={"seq": event["seq"], "size": held.size}).json()
            hashes = [bytes.fromhex(node) for node in proof["hashes"]]
            tlog_verify.verify_inclusion(event["seq"] - 1, held.size, tlog_verify.leaf_hash(leaf), hashes, held.root)
    return held
